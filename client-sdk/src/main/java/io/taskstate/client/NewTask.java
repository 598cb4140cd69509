package io.taskstate.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskStatus;
import java.util.List;
import java.util.Map;

/**
 * A task to create. Start with {@link #titled(String)} and add what you need:
 * {@code NewTask.titled("Review PR #7").priority(Priority.HIGH).parent(12)}. Unset fields take the
 * server's defaults (status pending, priority medium, metadata {}).
 */
public record NewTask(String title, String description, TaskStatus status, Priority priority, String assignee,
                      Long parentTaskId, Map<String, ?> metadata, List<Long> dependsOn) {

    public static NewTask titled(String title) {
        return new NewTask(title, null, null, null, null, null, null, null);
    }

    public NewTask description(String value) {
        return new NewTask(title, value, status, priority, assignee, parentTaskId, metadata, dependsOn);
    }

    public NewTask status(TaskStatus value) {
        return new NewTask(title, description, value, priority, assignee, parentTaskId, metadata, dependsOn);
    }

    public NewTask priority(Priority value) {
        return new NewTask(title, description, status, value, assignee, parentTaskId, metadata, dependsOn);
    }

    public NewTask assignee(String value) {
        return new NewTask(title, description, status, priority, value, parentTaskId, metadata, dependsOn);
    }

    public NewTask parent(long parentId) {
        return new NewTask(title, description, status, priority, assignee, parentId, metadata, dependsOn);
    }

    public NewTask metadata(Map<String, ?> value) {
        return new NewTask(title, description, status, priority, assignee, parentTaskId, value, dependsOn);
    }

    /** Tasks that must be completed before this one can be claimed (it shows {@code ready: false} until then). */
    public NewTask dependsOn(List<Long> ids) {
        return new NewTask(title, description, status, priority, assignee, parentTaskId, metadata, ids);
    }

    /** The create payload, with only the fields that were set. */
    ObjectNode toPayload() {
        ObjectNode p = Json.object();
        p.put("title", title);
        if (description != null) {
            p.put("description", description);
        }
        if (status != null) {
            p.put("status", status.wire());
        }
        if (priority != null) {
            p.put("priority", priority.wire());
        }
        if (assignee != null) {
            p.put("assignee", assignee);
        }
        if (parentTaskId != null) {
            p.put("parent_task_id", parentTaskId);
        }
        if (metadata != null) {
            p.set("metadata", Json.MAPPER.valueToTree(metadata));
        }
        if (dependsOn != null) {
            p.set("depends_on", Json.MAPPER.valueToTree(dependsOn));
        }
        return p;
    }
}
