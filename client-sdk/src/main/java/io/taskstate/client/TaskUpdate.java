package io.taskstate.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskStatus;
import java.util.List;
import java.util.Map;

/**
 * A partial update: only the fields named change. {@code assignee(null)} clears the assignee.
 * Add {@link #expect(String, Object)} to make it a compare-and-set: it applies only while the task
 * still has those values, and fails with {@link TaskStateException.Conflict} otherwise.
 */
public final class TaskUpdate {
    private final ObjectNode fields = Json.object();
    private final ObjectNode expect = Json.object();

    public static TaskUpdate of() {
        return new TaskUpdate();
    }

    public TaskUpdate title(String value) {
        return set("title", value);
    }

    public TaskUpdate description(String value) {
        return set("description", value);
    }

    public TaskUpdate status(TaskStatus value) {
        return set("status", value == null ? null : value.wire());
    }

    public TaskUpdate priority(Priority value) {
        return set("priority", value == null ? null : value.wire());
    }

    public TaskUpdate assignee(String value) {
        return set("assignee", value);
    }

    public TaskUpdate parent(Long parentId) {
        return set("parent_task_id", parentId);
    }

    public TaskUpdate metadata(Map<String, ?> value) {
        return set("metadata", value);
    }

    /** Replaces the tasks this one waits for; an empty list clears them. */
    public TaskUpdate dependsOn(List<Long> ids) {
        return set("depends_on", ids);
    }

    /** Sets any field by its wire name. */
    public TaskUpdate set(String field, Object value) {
        fields.set(field, Json.MAPPER.valueToTree(value));
        return this;
    }

    /** Applies only if the task's {@code field} currently equals {@code value} (wire form). */
    public TaskUpdate expect(String field, Object value) {
        expect.set(field, Json.MAPPER.valueToTree(value instanceof TaskStatus s ? s.wire()
                : value instanceof Priority p ? p.wire() : value));
        return this;
    }

    ObjectNode fields() {
        return fields.deepCopy();
    }

    ObjectNode expectation() {
        return expect.isEmpty() ? null : expect.deepCopy();
    }
}
