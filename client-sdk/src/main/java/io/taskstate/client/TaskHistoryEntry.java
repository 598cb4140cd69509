package io.taskstate.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One applied change of a task, as {@code GET /api/v1/tasks/{id}/history} lists it: when, which
 * command from which client caused it, the assignee after it, why (when the app itself changed the
 * task, e.g. a lease ran out), and each field that changed from what to what. The first entry of a
 * task is its creation, with every field that has a value changing from {@code null}.
 *
 * @param seq       the entry's number within its task, from 1, in the order the changes were applied
 * @param type      the wire name of the command that caused it ({@code create_task}, {@code claim_task},
 *                  {@code release_expired}, {@code expire_leases}, ...)
 * @param assignee  the task's assignee after the change, or {@code null}
 * @param reason    why, in words, or {@code null} when the command says it all
 * @param changes   by field name, in the task's field order; {@code updated_at} is left out (it always changes)
 */
public record TaskHistoryEntry(long seq, Instant at, String commandId, String clientId, String type, String assignee,
                               String reason, Map<String, Change> changes) {

    public TaskHistoryEntry {
        changes = changes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(changes));
    }

    /** A field's value before and after the change; JSON {@code null} (never Java {@code null}) when it had none. */
    public record Change(JsonNode from, JsonNode to) {
        public Change {
            from = from == null ? NullNode.getInstance() : from;
            to = to == null ? NullNode.getInstance() : to;
        }
    }
}
