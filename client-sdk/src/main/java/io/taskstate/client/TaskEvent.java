package io.taskstate.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Task;
import java.time.Instant;

/**
 * One change of a task or instance, as {@link TaskStateClient#subscribe} delivers it; or, with
 * type {@code lost}, the notice that events older than the server's retention could not be sent
 * (then only {@code id} and {@code detail} are set: read the current state with a query).
 *
 * @param id       the stream position right after this event
 * @param type     {@code task}, {@code instance} or {@code lost}
 * @param change   {@code created}, {@code updated} or {@code deleted}
 * @param cause    the command type that made the change, e.g. {@code claim_task}, or {@code heartbeat}
 * @param clientId the client that sent that command ({@code taskstate} for the app's own)
 * @param at       when the change happened
 * @param task     the task after the change (its last snapshot, for {@code deleted}); for task events
 * @param instance the instance after the change; for instance events
 * @param detail   for {@code lost}: which events are gone
 */
public record TaskEvent(String id, String type, String change, String cause, String clientId, Instant at, Task task,
                        Instance instance, String detail) {

    public boolean isTask() {
        return "task".equals(type);
    }

    public boolean isInstance() {
        return "instance".equals(type);
    }

    public boolean isLost() {
        return "lost".equals(type);
    }

    /** Reads the {@code data} of a stream frame whose {@code id} was {@code id}. */
    static TaskEvent parse(String id, JsonNode data) {
        return new TaskEvent(id, data.path("type").asText(), data.path("change").asText(null), data.path("cause").asText(null),
                data.path("client_id").asText(null), data.hasNonNull("at") ? Instant.parse(data.path("at").asText()) : null,
                data.hasNonNull("task") ? Json.convert(data.get("task"), Task.class) : null,
                data.hasNonNull("instance") ? Json.convert(data.get("instance"), Instance.class) : null,
                data.path("detail").asText(null));
    }
}
