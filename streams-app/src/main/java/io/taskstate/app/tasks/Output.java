package io.taskstate.app.tasks;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Everything the processor writes besides its stores: snapshots, replies, and commands it sends
 * to partitions (its own or others). Every record carries the timestamp of the input being
 * processed, so re-processing writes the same records.
 */
final class Output {
    private final ProcessorContext<byte[], byte[]> context;
    private long time;

    Output(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
    }

    /** Sets the time of everything written until the next input. */
    void at(long timestamp) {
        this.time = timestamp;
    }

    long time() {
        return time;
    }

    void task(long id, Task task) {
        forward(Long.toString(id), task == null ? null : Json.bytes(task), TopologyBuilder.TASKS_SINK);
    }

    void instance(Instance instance) {
        forward(instance.instanceId(), Json.bytes(instance.stored()), TopologyBuilder.INSTANCES_SINK);
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
