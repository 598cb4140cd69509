package io.taskstate.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.InstanceStatus;
import io.taskstate.protocol.Json;
import java.util.Map;

/**
 * A partial update of an instance's state: only the fields named change, and it counts as a
 * heartbeat. {@code currentTask(null)} clears the current task.
 */
public final class InstanceUpdate {
    private final ObjectNode state = Json.object();

    public static InstanceUpdate of() {
        return new InstanceUpdate();
    }

    public InstanceUpdate status(InstanceStatus value) {
        state.put("status", value == null ? null : value.wire());
        return this;
    }

    /** The task this instance works on; it must exist. */
    public InstanceUpdate currentTask(Long taskId) {
        state.put("current_task_id", taskId);
        return this;
    }

    public InstanceUpdate workingDirectory(String value) {
        state.put("working_directory", value);
        return this;
    }

    /** Replaces the instance's metadata. */
    public InstanceUpdate metadata(Map<String, ?> value) {
        state.set("metadata", Json.MAPPER.valueToTree(value));
        return this;
    }

    /**
     * An update from a JSON state object as sent over HTTP or MCP, unchecked: the processor decides
     * what is valid, so every entry point answers with the same messages.
     */
    public static InstanceUpdate from(ObjectNode state) {
        InstanceUpdate update = new InstanceUpdate();
        update.state.setAll(state);
        return update;
    }

    ObjectNode state() {
        return state.deepCopy();
    }
}
