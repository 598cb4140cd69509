package io.taskstate.app.tasks;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.Topic;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.common.serialization.Serde;

/**
 * Builds the topology, separate from {@code main} so {@code TopologyTestDriver} tests run exactly
 * what production runs.
 *
 * <pre>
 *   task-commands ─► commands (TaskCommandProcessor) ─┬─► tasks        (snapshots, by task id)
 *                      stores: tasks, task-index,     ├─► replies      (by client id)
 *                      task-sequence, command-dedup   └─► dead-letter  (unreadable records)
 * </pre>
 */
public final class TopologyBuilder {
    static final String COMMANDS_SOURCE = "task-commands-source";
    static final String COMMANDS_PROCESSOR = "task-commands";
    static final String TASKS_SINK = "tasks-sink";
    static final String REPLIES_SINK = "replies-sink";
    static final String DEAD_LETTER_SINK = "dead-letter-sink";

    /** Header naming why a record went to the dead-letter topic. */
    public static final String DEAD_LETTER_REASON = "taskstate.dead-letter.reason";

    private TopologyBuilder() {
    }

    public static Topology build(TaskStateConfig config) {
        int partitions = config.partitions();
        Topology topology = new Topology();
        topology.addSource(COMMANDS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                config.topic(Topic.TASK_COMMANDS));
        topology.addProcessor(COMMANDS_PROCESSOR,
                () -> new TaskCommandProcessor(partitions, config.dedupRetention()), COMMANDS_SOURCE);
        topology.addStateStore(store(TaskStores.TASKS, Serdes.Long(), JsonSerde.of(Task.class)), COMMANDS_PROCESSOR);
        topology.addStateStore(store(TaskStores.TASK_INDEX, Serdes.Bytes(), Serdes.ByteArray()), COMMANDS_PROCESSOR);
        topology.addStateStore(store(TaskStores.SEQUENCE, Serdes.String(), Serdes.Long()), COMMANDS_PROCESSOR);
        topology.addStateStore(store(TaskStores.DEDUP, Serdes.String(), Serdes.ByteArray()), COMMANDS_PROCESSOR);
        topology.addStateStore(store(TaskStores.DEDUP_EXPIRY, Serdes.Bytes(), Serdes.ByteArray()), COMMANDS_PROCESSOR);

        topology.addSink(TASKS_SINK, config.topic(Topic.TASKS), new ByteArraySerializer(), new ByteArraySerializer(),
                byTaskId(), COMMANDS_PROCESSOR);
        topology.addSink(REPLIES_SINK, config.topic(Topic.REPLIES), new ByteArraySerializer(), new ByteArraySerializer(),
                COMMANDS_PROCESSOR);
        topology.addSink(DEAD_LETTER_SINK, config.topic(Topic.DEAD_LETTER), new ByteArraySerializer(),
                new ByteArraySerializer(), COMMANDS_PROCESSOR);
        return topology;
    }

    /** Routes a record keyed by a decimal task id to the task's home partition. */
    static StreamPartitioner<byte[], byte[]> byTaskId() {
        return (topic, key, value, numPartitions) -> Optional.of(Set.of(
                Partitioning.partitionOfTask(Long.parseLong(new String(key, StandardCharsets.UTF_8)), numPartitions)));
    }

    /** Sends an unreadable record to the dead-letter topic with the reason, so processing can go on. */
    static void deadLetter(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, String reason) {
        Headers headers = record.headers();
        headers.add(DEAD_LETTER_REASON, reason.getBytes(StandardCharsets.UTF_8));
        context.recordMetadata().ifPresent(m -> headers.add("taskstate.dead-letter.source",
                (m.topic() + "-" + m.partition() + "@" + m.offset()).getBytes(StandardCharsets.UTF_8)));
        context.forward(record.withHeaders(headers), DEAD_LETTER_SINK);
    }

    private static <K, V> StoreBuilder<?> store(String name, Serde<K> keySerde,
                                                Serde<V> valueSerde) {
        KeyValueBytesStoreSupplier supplier = Stores.persistentKeyValueStore(name);
        return Stores.keyValueStoreBuilder(supplier, keySerde, valueSerde);
    }

}
