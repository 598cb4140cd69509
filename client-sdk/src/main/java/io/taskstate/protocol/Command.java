package io.taskstate.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
 */
public record Command(String commandId, String clientId, String type, Long taskId, ObjectNode payload, ObjectNode expect) {

    public Command {
        Objects.requireNonNull(commandId, "command_id");
        Objects.requireNonNull(clientId, "client_id");
        Objects.requireNonNull(type, "type");
        payload = payload == null ? Json.object() : payload;
    }

    public static Command of(String clientId, CommandType type, Long taskId, ObjectNode payload, ObjectNode expect) {
        return new Command(UUID.randomUUID().toString(), clientId, type.wire(), taskId, payload, expect);
    }

    public Command withId(String commandId) {
        return new Command(commandId, clientId, type, taskId, payload, expect);
    }
}
