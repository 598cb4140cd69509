package io.taskstate.app.cli;

import io.taskstate.app.query.TaskFilter;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskSort;
import io.taskstate.protocol.TaskStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The task filters and order of {@code task list} and {@code task export}, as an SDK {@link TaskQuery}. */
final class QueryOptions {
    @Option(names = "--status", paramLabel = "STATUS", description = "pending, in_progress, completed or blocked.")
    String status;

    @Option(names = "--priority", paramLabel = "PRIORITY", description = "low, medium, high or critical.")
    String priority;

    @Option(names = "--assignee", paramLabel = "NAME", description = "Only tasks assigned to NAME.")
    String assignee;

    @Option(names = "--parent", paramLabel = "ID", description = "Only subtasks of task ID.")
    Long parent;

    @Option(names = "--root", description = "Only tasks without a parent.")
    boolean root;

    @Option(names = "--title-contains", paramLabel = "TEXT", description = "Title contains TEXT (literally, any case).")
    String titleContains;

    @Option(names = "--description-contains", paramLabel = "TEXT", description = "Description contains TEXT.")
    String descriptionContains;

    @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "Metadata field KEY is VALUE (an array field: contains it); repeatable.")
    Map<String, String> metadata = new LinkedHashMap<>();

    @Option(names = "--created-after", paramLabel = "TIME", description = "Created at or after TIME (ISO-8601, e.g. 2026-01-21T10:00:00Z).")
    String createdAfter;

    @Option(names = "--created-before", paramLabel = "TIME", description = "Created before TIME.")
    String createdBefore;

    @Option(names = "--updated-after", paramLabel = "TIME", description = "Last changed at or after TIME.")
    String updatedAfter;

    @Option(names = "--updated-before", paramLabel = "TIME", description = "Last changed before TIME (with --status in_progress: stuck tasks).")
    String updatedBefore;

    @Option(names = "--completed-after", paramLabel = "TIME", description = "Completed at or after TIME.")
    String completedAfter;

    @Option(names = "--completed-before", paramLabel = "TIME", description = "Completed before TIME.")
    String completedBefore;

    @Option(names = "--sort", paramLabel = "FIELD", description = "created_at (default), updated_at or priority.")
    String sort;

    @Option(names = "--order", paramLabel = "ORDER", description = "desc (default) or asc.")
    String order;

    TaskQuery query() {
        TaskQuery q = TaskQuery.all();
        if (status != null) {
            q = q.status(TaskStatus.parse(status).orElseThrow(() -> invalid("Invalid status. Must be one of: " + TaskStatus.VALID)));
        }
        if (priority != null) {
            q = q.priority(Priority.parse(priority).orElseThrow(() -> invalid("Invalid priority. Must be one of: " + Priority.VALID)));
        }
        if (assignee != null) {
            q = q.assignee(assignee);
        }
        if (parent != null) {
            q = q.parent(parent);
        }
        if (root) {
            q = q.rootsOnly();
        }
        if (titleContains != null) {
            q = q.titleContains(titleContains);
        }
        if (descriptionContains != null) {
            q = q.descriptionContains(descriptionContains);
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            q = q.metadata(e.getKey(), e.getValue());
        }
        try {
            q = createdAfter == null ? q : q.createdAfter(TaskFilter.parseTime("--created-after", createdAfter));
            q = createdBefore == null ? q : q.createdBefore(TaskFilter.parseTime("--created-before", createdBefore));
            q = updatedAfter == null ? q : q.updatedAfter(TaskFilter.parseTime("--updated-after", updatedAfter));
            q = updatedBefore == null ? q : q.updatedBefore(TaskFilter.parseTime("--updated-before", updatedBefore));
            q = completedAfter == null ? q : q.completedAfter(TaskFilter.parseTime("--completed-after", completedAfter));
            q = completedBefore == null ? q : q.completedBefore(TaskFilter.parseTime("--completed-before", completedBefore));
            return sort == null && order == null ? q : q.sort(TaskSort.parse(sort, order));
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    private static TaskStateException invalid(String message) {
        return new TaskStateException.Invalid(message, null);
    }
}
