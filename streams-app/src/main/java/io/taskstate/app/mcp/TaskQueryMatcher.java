package io.taskstate.app.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.client.TaskQuery;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.util.Locale;

/** The {@code query_tasks} filters of the reference server, as an SDK query (and, for {@code id}, a check). */
final class TaskQueryMatcher {
    private final TaskQuery query;

    TaskQueryMatcher(ObjectNode filters) {
        this.query = query(filters);
    }

    static TaskQuery query(ObjectNode f) {
        TaskQuery q = TaskQuery.all();
        if (f.hasNonNull("status")) {
            q = q.status(TaskStatus.parse(f.get("status").asText()).orElseThrow(
                    () -> new McpTools.ToolError("Invalid status. Must be one of: " + TaskStatus.VALID)));
        }
        if (f.hasNonNull("priority")) {
            q = q.priority(Priority.parse(f.get("priority").asText()).orElseThrow(
                    () -> new McpTools.ToolError("Invalid priority. Must be one of: " + Priority.VALID)));
        }
        if (f.hasNonNull("assignee")) {
            q = q.assignee(f.get("assignee").asText());
        }
        if (f.hasNonNull("parent_task_id")) {
            JsonNode p = f.get("parent_task_id");
            if (!p.canConvertToLong() || p.asLong() <= 0) {
                throw new McpTools.ToolError("parent_task_id must be a positive integer task id, got " + p);
            }
            q = q.parent(p.asLong());
        }
        if (f.path("root").asBoolean(false)) {
            q = q.rootsOnly();
        }
        if (f.hasNonNull("title_contains")) {
            q = q.titleContains(f.get("title_contains").asText());
        }
        if (f.hasNonNull("description_contains")) {
            q = q.descriptionContains(f.get("description_contains").asText());
        }
        return q;
    }

    /** Whether {@code t} passes the filters besides {@code id}. */
    boolean matches(Task t) {
        return (query.status() == null || t.status() == query.status())
                && (query.priority() == null || t.priority() == query.priority())
                && (query.assignee() == null || query.assignee().equals(t.assignee()))
                && (query.parentTaskId() == null || query.parentTaskId().equals(t.parentTaskId()))
                && (query.root() == null || !query.root() || t.parentTaskId() == null)
                && contains(t.title(), query.titleContains())
                && contains(t.description(), query.descriptionContains());
    }

    private static boolean contains(String text, String needle) {
        return needle == null || (text != null && text.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT)));
    }
}
