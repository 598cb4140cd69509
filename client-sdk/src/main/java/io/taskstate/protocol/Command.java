package io.taskstate.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A write, as it travels on {@link Topic#TASK_COMMANDS}. The caller makes the {@code command_id};
 * a command id seen before gets the first reply again and changes nothing, so a caller that timed
 * out retries with the same id.
 *
 * @param taskId  the task addressed; {@code null} for a create
 * @param payload the command's fields: for a create the new task's fields, for an update the
 *                fields to change, for a delete nothing
 * @param expect  an optional compare-and-set condition on the current task, e.g. {@code {"status": "pending"}}
 * @param type    the wire name of a {@link CommandType}; kept as text so an unknown type reaches
 *                the dead-letter topic with its name instead of failing to parse
 * @param issuedAt when the caller issued it, to the microsecond; the time of the change it makes
 *                 (the record's millisecond timestamp when absent or implausible), so tasks a
 *                 caller creates within one millisecond still come newest first
 */
public record Command(String commandId, String clientId, String type, Long taskId, ObjectNode payload, ObjectNode expect,
                      Instant issuedAt) {

    public Command {
        Objects.requireNonNull(commandId, "command_id");
        Objects.requireNonNull(clientId, "client_id");
        Objects.requireNonNull(type, "type");
        payload = payload == null ? Json.object() : payload;
    }

    /** A command without its own issue time: its record's timestamp stands in. */
    public Command(String commandId, String clientId, String type, Long taskId, ObjectNode payload, ObjectNode expect) {
        this(commandId, clientId, type, taskId, payload, expect, null);
    }

    public static Command of(String clientId, CommandType type, Long taskId, ObjectNode payload, ObjectNode expect) {
        return new Command(UUID.randomUUID().toString(), clientId, type.wire(), taskId, payload, expect);
    }

    public Command withId(String commandId) {
        return new Command(commandId, clientId, type, taskId, payload, expect, issuedAt);
    }
}
