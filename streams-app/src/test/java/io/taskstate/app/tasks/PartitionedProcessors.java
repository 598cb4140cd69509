package io.taskstate.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Several partitions of the processor side by side, each a {@link CommandProcessor} on its own
 * {@link MockProcessorContext} with in-memory stores named and typed as {@link TopologyBuilder}'s
 * ({@code TopologyTestDriver} runs partition 0 only). What a processor sends to the internal
 * commands topic is routed by its key, as {@link TopologyBuilder#byRoutingKey} does, and processed
 * by the partition it names, in the order sent, before a call returns, unless held with
 * {@link #hold()}.
 */
final class PartitionedProcessors {
    private final int partitions;
    private final List<MockProcessorContext<byte[], byte[]>> contexts = new ArrayList<>();
    private final List<CommandProcessor> processors = new ArrayList<>();
    private final long[] offsets;
    private final Deque<Routed> queue = new ArrayDeque<>();
    private final List<Routed> internal = new ArrayList<>();
    private final List<Task> snapshots = new ArrayList<>();
    private final List<Reply> replies = new ArrayList<>();
    private Instant clock = TaskDriver.START;
    private boolean held;

    /** An internal command on its way to a partition. */
    record Routed(int partition, Command command) {
    }

    PartitionedProcessors(int partitions) {
        this.partitions = partitions;
        this.offsets = new long[partitions];
        TaskStateConfig config = TaskStateConfig.from(Map.of(TaskStateConfig.PARTITIONS, Integer.toString(partitions)));
        for (int p = 0; p < partitions; p++) {
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "partitioned-processors");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>(props, new TaskId(0, p),
                    new File(System.getProperty("java.io.tmpdir")));
            for (StoreBuilder<?> builder : TopologyBuilder.stores(true)) {
                StateStore store = builder.build();
                store.init(context.getStateStoreContext(), store);
                context.addStateStore(store);
            }
            CommandProcessor processor = TopologyBuilder.processor(config);
            processor.init(context);
            contexts.add(context);
            processors.add(processor);
        }
    }

    /** Sends a client command to {@code partition} and returns its reply, after every internal command it caused ran. */
    Reply send(int partition, Command command) {
        int before = replies.size();
        process(partition, "taskstate.task-commands", command);
        pump();
        List<Reply> mine = replies.subList(before, replies.size()).stream()
                .filter(r -> r.commandId().equals(command.commandId())).toList();
        assertThat(mine).as("replies to %s", command).hasSize(1);
        return mine.get(0);
    }

    /** Sends a command about an existing task to the task's partition. */
    Reply send(Command command) {
        return send(Partitioning.partitionOfTask(command.taskId(), partitions), command);
    }

    /** Creates a task on {@code partition}; the create must succeed. */
    Task created(int partition, String payload) {
        Reply reply = send(partition, TaskDriver.create(payload));
        assertThat(reply.isOk()).as("create %s: %s", payload, reply.message()).isTrue();
        return Json.convert(reply.result(), Task.class);
    }

    /** Keeps internal commands queued until {@link #release()}. */
    void hold() {
        held = true;
    }

    /** Delivers the queued internal commands, and from now on each at once. */
    void release() {
        held = false;
        pump();
    }

    /** Delivers {@code routed} again, as a retried delivery would. */
    void redeliver(Routed routed) {
        process(routed.partition(), "taskstate.internal-commands", routed.command());
        pump();
    }

    private void pump() {
        while (!held && !queue.isEmpty()) {
            Routed next = queue.poll();
            process(next.partition(), "taskstate.internal-commands", next.command());
        }
    }

    private void process(int partition, String topic, Command command) {
        MockProcessorContext<byte[], byte[]> context = contexts.get(partition);
        clock = clock.plusSeconds(1);
        context.resetForwards();
        context.setRecordMetadata(topic, partition, offsets[partition]++);
        processors.get(partition).process(new Record<>(null, Json.bytes(command), clock.toEpochMilli()));
        for (MockProcessorContext.CapturedForward<? extends byte[], ? extends byte[]> f : context.forwarded()) {
            String sink = f.childName().orElseThrow();
            byte[] value = f.record().value();
            switch (sink) {
                case TopologyBuilder.COMMANDS_SINK -> {
                    String key = new String(f.record().key(), StandardCharsets.UTF_8);
                    for (int p : Partitioning.partitionsOf(key, partitions)) {
                        Routed routed = new Routed(p, Json.read(value, Command.class));
                        internal.add(routed);
                        queue.add(routed);
                    }
                }
                case TopologyBuilder.TASKS_SINK -> {
                    if (value != null) {
                        snapshots.add(Json.read(value, Task.class));
                    }
                }
                case TopologyBuilder.REPLIES_SINK -> replies.add(Json.read(value, Reply.class));
                default -> {
                }
            }
        }
        context.resetForwards();
    }

    /** Task {@code id} as its partition stores it, {@code null} if it does not exist. */
    Task task(long id) {
        KeyValueStore<Long, Task> tasks = contexts.get(Partitioning.partitionOfTask(id, partitions)).getStateStore(TaskStores.TASKS);
        return tasks.get(id);
    }

    /** Every snapshot of task {@code id} published so far, in order. */
    List<Task> snapshotsOf(long id) {
        return snapshots.stream().filter(t -> t.id() == id).toList();
    }

    /** Every internal command of {@code type} sent so far, in order, with the partition it went to. */
    List<Routed> sent(CommandType type) {
        return internal.stream().filter(r -> r.command().type().equals(type.wire())).toList();
    }

    /** The reverse-edge store of {@code partition}. */
    KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> dependents(int partition) {
        return contexts.get(partition).getStateStore(TaskStores.DEPENDENTS);
    }
}
