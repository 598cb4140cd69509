package io.taskstate.app.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.query.TaskFilter;
import io.taskstate.client.TaskQuery;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import java.util.Map;

/** The {@code query_tasks} filters of the reference server (and ours), as an SDK query (and, for {@code id}, a check). */
final class TaskQueryMatcher {
    static final String[] TIME_FILTERS = {"created_after", "created_before", "updated_after", "updated_before",
            "completed_after", "completed_before"};

    private final TaskFilter filter;

    TaskQueryMatcher(ObjectNode filters) {
        TaskQuery q = query(filters);
        this.filter = new TaskFilter(q.status(), q.priority(), q.assignee(), q.parentTaskId(), Boolean.TRUE.equals(q.root()),
                q.titleContains(), q.descriptionContains(), q.metadata(), q.createdAfter(), q.createdBefore(),
                q.updatedAfter(), q.updatedBefore(), q.completedAfter(), q.completedBefore());
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
        if (f.hasNonNull("metadata")) {
            if (!f.get("metadata").isObject()) {
                throw new McpTools.ToolError("filters.metadata must be an object of field values, e.g. {\"team\": \"backend\"}");
            }
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) f.get("metadata")::fields) {
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw new McpTools.ToolError("filters.metadata." + e.getKey() + " must be a string, number or boolean; "
                            + "an array field matches when it contains the value");
                }
                q = q.metadata(e.getKey(), e.getValue().asText());
            }
        }
        for (String name : TIME_FILTERS) {
            if (f.hasNonNull(name)) {
                Instant t;
                try {
                    t = TaskFilter.parseTime(name, f.get(name).asText());
                } catch (IllegalArgumentException e) {
                    throw new McpTools.ToolError(e.getMessage());
                }
                q = switch (name) {
                    case "created_after" -> q.createdAfter(t);
                    case "created_before" -> q.createdBefore(t);
                    case "updated_after" -> q.updatedAfter(t);
                    case "updated_before" -> q.updatedBefore(t);
                    case "completed_after" -> q.completedAfter(t);
                    default -> q.completedBefore(t);
                };
            }
        }
        return q;
    }

    /** Whether {@code t} passes the filters besides {@code id}. */
    boolean matches(Task t) {
        return filter.matches(t);
    }
}
