package io.taskstate.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * An agent instance as the app stores and returns it. {@code active} is not stored: it is computed
 * when the instance is read, from {@code last_heartbeat} and the instance timeout, so a silent
 * instance never shows as active, even before its expiry has been processed.
 *
 * @param expiredAt when the app noticed the heartbeats had stopped and handed its tasks back;
 *                  {@code null} while it is alive, cleared by the next heartbeat
 */
public record Instance(
        String instanceId,
        InstanceStatus status,
        Long currentTaskId,
        String workingDirectory,
        ObjectNode metadata,
        Instant lastHeartbeat,
        Instant expiredAt,
        Boolean active) {

    public Instance {
        Objects.requireNonNull(instanceId, "instance_id");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(lastHeartbeat, "last_heartbeat");
        metadata = metadata == null ? Json.object() : metadata;
    }

    /** The same instance with {@code active} computed for {@code now}. */
    public Instance at(Instant now, Duration timeout) {
        return new Instance(instanceId, status, currentTaskId, workingDirectory, metadata, lastHeartbeat, expiredAt,
                isActive(now, timeout));
    }

    public boolean isActive(Instant now, Duration timeout) {
        return lastHeartbeat.plus(timeout).isAfter(now);
    }

    /** The stored form: {@code active} is not kept. */
    public Instance stored() {
        return new Instance(instanceId, status, currentTaskId, workingDirectory, metadata, lastHeartbeat, expiredAt, null);
    }

    /** The longest instance id. */
    public static final int MAX_ID_CHARS = 200;

    /** What is wrong with {@code id} as an instance id, or null when nothing is. */
    public static String idProblem(String id) {
        if (id == null || id.isBlank()) {
            return "instance_id is required: give a non-empty string";
        }
        if (id.length() > MAX_ID_CHARS) {
            return "instance_id is too long: " + id.length() + " characters, at most " + MAX_ID_CHARS;
        }
        if (id.chars().anyMatch(Character::isISOControl)) {
            return "instance_id must not contain control characters";
        }
        return null;
    }
}
