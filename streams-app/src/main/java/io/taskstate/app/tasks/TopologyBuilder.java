package io.taskstate.app.tasks;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.Topic;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.common.serialization.Serde;

/**
 * Builds the topology, separate from {@code main} so {@code TopologyTestDriver} tests run exactly
 * what production runs.
 *
 * <pre>
 *   task-commands ─────┐                                  ┌─► tasks             (snapshots, by task id)
 *   internal-commands ─┼─► commands (CommandProcessor) ───┼─► instances         (snapshots, by instance id)
 *   heartbeats ────────┘   stores: tasks, task-index,     ├─► replies           (by client id)
 *                          task-sequence, task-leases,    ├─► internal-commands (to other partitions, or itself)
 *                          task-dependents, task-history, ├─► events            (one per change, by task or instance id)
 *                          task-stats, instances,         └─► dead-letter       (unreadable records)
 *                          command-dedup(-expiry)
 * </pre>
 */
public final class TopologyBuilder {
    static final String COMMANDS_SOURCE = "task-commands-source";
    static final String HEARTBEATS_SOURCE = "heartbeats-source";
    static final String INTERNAL_SOURCE = "internal-commands-source";
    static final String COMMANDS_PROCESSOR = "task-commands";
    static final String TASKS_SINK = "tasks-sink";
    static final String INSTANCES_SINK = "instances-sink";
    static final String COMMANDS_SINK = "task-commands-sink";
    static final String REPLIES_SINK = "replies-sink";
    static final String DEAD_LETTER_SINK = "dead-letter-sink";
    static final String TASK_EVENTS_SINK = "task-events-sink";
    static final String INSTANCE_EVENTS_SINK = "instance-events-sink";

    /** Header naming why a record went to the dead-letter topic. */
    public static final String DEAD_LETTER_REASON = "taskstate.dead-letter.reason";

    private TopologyBuilder() {
    }

    public static Topology build(TaskStateConfig config) {
        return build(config, new Progress(config.partitions()), new ClaimQueues(config.partitions()));
    }

    /** The topology, reporting each partition's progress to {@code progress} and its pending tasks to {@code claims}. */
    public static Topology build(TaskStateConfig config, Progress progress, ClaimQueues claims) {
        return build(config, progress, claims, CommandMeters.none());
    }

    /** The same, counting and timing the commands it applies in {@code meters}. */
    public static Topology build(TaskStateConfig config, Progress progress, ClaimQueues claims, CommandMeters meters) {
        Topology topology = new Topology();
        topology.addSource(COMMANDS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                config.topic(Topic.TASK_COMMANDS));
        topology.addSource(HEARTBEATS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                config.topic(Topic.HEARTBEATS));
        topology.addSource(INTERNAL_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                config.topic(Topic.INTERNAL_COMMANDS));
        topology.addProcessor(COMMANDS_PROCESSOR, () -> processor(config, progress, claims, meters), COMMANDS_SOURCE, HEARTBEATS_SOURCE,
                INTERNAL_SOURCE);
        for (StoreBuilder<?> store : stores(false)) {
            topology.addStateStore(store, COMMANDS_PROCESSOR);
        }
        topology.addSink(TASKS_SINK, config.topic(Topic.TASKS), new ByteArraySerializer(), new ByteArraySerializer(),
                byTaskId(), COMMANDS_PROCESSOR);
        topology.addSink(INSTANCES_SINK, config.topic(Topic.INSTANCES), new ByteArraySerializer(),
                new ByteArraySerializer(), COMMANDS_PROCESSOR);
        topology.addSink(COMMANDS_SINK, config.topic(Topic.INTERNAL_COMMANDS), new ByteArraySerializer(),
                new ByteArraySerializer(), byRoutingKey(), COMMANDS_PROCESSOR);
        topology.addSink(REPLIES_SINK, config.topic(Topic.REPLIES), new ByteArraySerializer(), new ByteArraySerializer(),
                COMMANDS_PROCESSOR);
        topology.addSink(DEAD_LETTER_SINK, config.topic(Topic.DEAD_LETTER), new ByteArraySerializer(),
                new ByteArraySerializer(), COMMANDS_PROCESSOR);
        // two sinks into one topic: task events go where their task lives, instance events where their instance does
        topology.addSink(TASK_EVENTS_SINK, config.topic(Topic.EVENTS), new ByteArraySerializer(), new ByteArraySerializer(),
                byTaskId(), COMMANDS_PROCESSOR);
        topology.addSink(INSTANCE_EVENTS_SINK, config.topic(Topic.EVENTS), new ByteArraySerializer(),
                new ByteArraySerializer(), COMMANDS_PROCESSOR);
        return topology;
    }

    /** The processor, as the topology runs it. */
    static CommandProcessor processor(TaskStateConfig config) {
        return processor(config, new Progress(config.partitions()), new ClaimQueues(config.partitions()), CommandMeters.none());
    }

    private static CommandProcessor processor(TaskStateConfig config, Progress progress, ClaimQueues claims, CommandMeters meters) {
        return new CommandProcessor(new CommandProcessor.Settings(config.partitions(), config.dedupRetention(),
                config.instanceTimeout(), config.expiryPolicy(), config.expiryCheckInterval(), config.topic(Topic.HEARTBEATS),
                config.topic(Topic.INTERNAL_COMMANDS), config.historyLimit()), progress, claims, meters);
    }

    /** The processor's stores; {@code inMemory} without changelogs, for tests on a mock context. */
    static List<StoreBuilder<?>> stores(boolean inMemory) {
        return List.of(
                cached(inMemory, store(TaskStores.TASKS, Serdes.Long(), JsonSerde.of(Task.class), inMemory)),
                store(TaskStores.TASK_INDEX, Serdes.Bytes(), Serdes.ByteArray(), inMemory),
                cached(inMemory, store(TaskStores.SEQUENCE, Serdes.String(), Serdes.Long(), inMemory)),
                store(TaskStores.LEASES, Serdes.Bytes(), Serdes.ByteArray(), inMemory),
                store(TaskStores.DEPENDENTS, Serdes.Bytes(), Serdes.ByteArray(), inMemory),
                store(TaskStores.HISTORY, Serdes.Bytes(), Serdes.ByteArray(), inMemory),
                cached(inMemory, store(TaskStores.STATS, Serdes.String(), Serdes.Long(), inMemory)),
                cached(inMemory, store(TaskStores.INSTANCES, Serdes.String(), JsonSerde.of(Instance.class), inMemory)),
                store(TaskStores.DEDUP, Serdes.String(), Serdes.ByteArray(), inMemory),
                store(TaskStores.DEDUP_EXPIRY, Serdes.Bytes(), Serdes.ByteArray(), inMemory));
    }

    /** Routes a command the app sends itself by its routing key (see {@link Partitioning#partitionsOf}). */
    static StreamPartitioner<byte[], byte[]> byRoutingKey() {
        return (topic, key, value, numPartitions) -> Optional.of(
                Partitioning.partitionsOf(new String(key, StandardCharsets.UTF_8), numPartitions));
    }

    /** Routes a record keyed by a decimal task id to the task's home partition. */
    static StreamPartitioner<byte[], byte[]> byTaskId() {
        return (topic, key, value, numPartitions) -> Optional.of(Set.of(
                Partitioning.partitionOfTask(Long.parseLong(new String(key, StandardCharsets.UTF_8)), numPartitions)));
    }

    /**
     * With Kafka Streams' record cache: the stores whose keys are written again and again (a
     * partition's counters and id sequence, a task through its claim and completion, an instance
     * at each heartbeat) write each key once per commit to RocksDB and the changelog, not once per
     * command. Reads, the processor's and interactive queries', go through the cache.
     */
    private static StoreBuilder<?> cached(boolean inMemory, StoreBuilder<?> builder) {
        return inMemory ? builder : builder.withCachingEnabled(); // a mock context cannot drive a cache
    }

    private static <K, V> StoreBuilder<?> store(String name, Serde<K> keySerde, Serde<V> valueSerde, boolean inMemory) {
        KeyValueBytesStoreSupplier supplier = inMemory ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
        StoreBuilder<?> builder = Stores.keyValueStoreBuilder(supplier, keySerde, valueSerde);
        return inMemory ? builder.withLoggingDisabled() : builder;
    }
}
