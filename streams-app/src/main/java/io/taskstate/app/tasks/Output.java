package io.taskstate.app.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Everything the processor writes besides its stores: snapshots, change events, replies, and
 * commands it sends to partitions (its own or others). Every record carries the timestamp of the
 * input being processed, so re-processing writes the same records.
 */
final class Output {
    private final ProcessorContext<byte[], byte[]> context;
    private long time;
    private String cause;
    private String causeClientId;
    private Instant changedAt;

    Output(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
    }

    /** Sets the time of everything written until the next input, which names its {@link #cause}. */
    void at(long timestamp) {
        this.time = timestamp;
        cause(null, null, null);
    }

    long time() {
        return time;
    }

    /**
     * Names the input being applied, for the events of the changes it makes: its command type (or
     * {@code heartbeat}), its sender, and the time of its changes.
     */
    void cause(String type, String clientId, Instant at) {
        this.cause = type;
        this.causeClientId = clientId;
        this.changedAt = at;
    }

    /** The time of the change being applied, as set by {@link #cause}. */
    Instant changedAt() {
        return changedAt != null ? changedAt : Instant.ofEpochMilli(time);
    }

    void task(long id, Task task) {
        forward(Long.toString(id), task == null ? null : Json.bytes(task), TopologyBuilder.TASKS_SINK);
    }

    /** The event of one change of a task: {@code before == null} created it, {@code after == null} deleted it. */
    void taskEvent(Task before, Task after) {
        Task snapshot = after != null ? after : before;
        String change = before == null ? "created" : after == null ? "deleted" : "updated";
        forward(Long.toString(snapshot.id()), event("task", change, snapshot), TopologyBuilder.TASK_EVENTS_SINK);
    }

    /** The snapshot of an instance and the event of its change; {@code instance} may carry {@code active}, not stored. */
    void instance(boolean created, Instance instance) {
        forward(instance.instanceId(), Json.bytes(instance.stored()), TopologyBuilder.INSTANCES_SINK);
        forward(instance.instanceId(), event("instance", created ? "created" : "updated", instance),
                TopologyBuilder.INSTANCE_EVENTS_SINK);
    }

    private byte[] event(String type, String change, Object snapshot) {
        ObjectNode event = Json.object();
        event.put("type", type);
        event.put("change", change);
        event.put("cause", cause);
        event.put("client_id", causeClientId);
        event.put("at", changedAt().toString());
        event.set(type, Json.MAPPER.valueToTree(snapshot));
        return Json.bytes(event);
    }

    void reply(Reply reply) {
        forward(reply.clientId(), Json.bytes(reply), TopologyBuilder.REPLIES_SINK);
    }

    /** Sends {@code command} to the partitions {@code routingKey} names (see {@link io.taskstate.protocol.Partitioning#routingKey}). */
    void command(String routingKey, Command command) {
        forward(routingKey, Json.bytes(command), TopologyBuilder.COMMANDS_SINK);
    }

    private void forward(String key, byte[] value, String sink) {
        context.forward(new Record<>(key.getBytes(StandardCharsets.UTF_8), value, time), sink);
    }
}
