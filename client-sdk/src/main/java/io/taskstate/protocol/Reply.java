package io.taskstate.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The one reply to a command, on {@link Topic#REPLIES} keyed by the client id.
 *
 * @param result  on {@link Outcome#OK}: the task for a create or update, {@code {"success": true,
 *                "deleted_task": ..., "deleted_ids": [...]}} for a delete
 * @param message on failure: what is wrong and how to fix it
 */
public record Reply(String commandId, String clientId, Outcome outcome, String message, JsonNode result) {

    public Reply {
        Objects.requireNonNull(commandId, "command_id");
        Objects.requireNonNull(outcome, "outcome");
    }

    public static Reply ok(Command command, JsonNode result) {
        return new Reply(command.commandId(), command.clientId(), Outcome.OK, null, result);
    }

    public static Reply failed(Command command, Outcome outcome, String message) {
        return new Reply(command.commandId(), command.clientId(), outcome, message, null);
    }

    /** The same reply addressed to another client: a retry may come from a restarted client. */
    public Reply to(String clientId) {
        return new Reply(commandId, clientId, outcome, message, result);
    }

    @JsonIgnore
    public boolean isOk() {
        return outcome == Outcome.OK;
    }
}
