package io.taskstate.protocol;

import java.util.Objects;

/**
 * A heartbeat, on {@link Topic#HEARTBEATS} keyed by the instance id. The time of the heartbeat is
 * the record's timestamp. A heartbeat that wants its instance back names a command id and client
 * id; a fire-and-forget one names neither.
 */
public record Heartbeat(String instanceId, String commandId, String clientId) {
    public Heartbeat {
        Objects.requireNonNull(instanceId, "instance_id");
    }

    public boolean wantsReply() {
        return commandId != null && clientId != null;
    }
}
