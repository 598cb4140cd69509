package io.taskstate.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Heartbeat;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs {@link TopologyBuilder#build} in a {@link TopologyTestDriver} and speaks its wire format:
 * commands in, replies, snapshots and dead letters out, stores readable.
 *
 * <p>The driver feeds every input record to partition 0 (it has no other), so with more than one
 * partition configured the processor acts as partition 0 of {@code P}.
 *
 * <p>Each command is piped at an explicit timestamp: {@link #send(Command, Instant)}, or
 * {@link #send(Command)} for the next tick of a test clock that starts at {@link #START} and moves
 * one second per record. The real wall clock is never used: the driver's mocked one starts at
 * {@link #START} too and moves only by {@link #advanceWallClockTo}, which runs the expiry check.
 *
 * <p>Whatever the processor sends to its own commands topic is piped back in by the driver before
 * a call returns, so the effects of internal commands (clearing current tasks, expiry, release)
 * are visible at once.
 */
final class TaskDriver implements AutoCloseable {
    static final Instant START = Instant.parse("2025-03-01T09:00:00Z");
    static final String CLIENT = "client-a";

    private final TopologyTestDriver driver;
    private final Path stateDir;
    private final TestInputTopic<byte[], byte[]> commands;
    private final TestOutputTopic<byte[], byte[]> replies;
    private final TestOutputTopic<byte[], byte[]> snapshots;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final TestInputTopic<byte[], byte[]> heartbeats;
    private final TestOutputTopic<byte[], byte[]> instanceSnapshots;
    private final TestOutputTopic<byte[], byte[]> sentCommands;
    private final TestOutputTopic<byte[], byte[]> events;
    private final ClaimQueues claims;
    private Instant clock = START;
    private Instant wallClock = START;

    private List<TestRecord<byte[], byte[]>> lastReplies = List.of();
    private List<TestRecord<byte[], byte[]>> lastSnapshots = List.of();
    private List<TestRecord<byte[], byte[]>> lastDeadLetters = List.of();
    private List<TestRecord<byte[], byte[]>> lastInstanceSnapshots = List.of();
    private List<TestRecord<byte[], byte[]>> lastSentCommands = List.of();
    private final List<TestRecord<byte[], byte[]>> lastEvents = new ArrayList<>();

    private TaskDriver(TaskStateConfig config) {
        this.claims = new ClaimQueues(config.partitions());
        try {
            stateDir = Files.createTempDirectory("taskstate-ttd-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "taskstate-test-" + UUID.randomUUID());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(TopologyBuilder.build(config, new Progress(config.partitions()), claims), props, START);
        commands = driver.createInputTopic(config.topic(Topic.TASK_COMMANDS),
                new ByteArraySerializer(), new ByteArraySerializer());
        replies = driver.createOutputTopic(config.topic(Topic.REPLIES),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        snapshots = driver.createOutputTopic(config.topic(Topic.TASKS),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        deadLetters = driver.createOutputTopic(config.topic(Topic.DEAD_LETTER),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        heartbeats = driver.createInputTopic(config.topic(Topic.HEARTBEATS),
                new ByteArraySerializer(), new ByteArraySerializer());
        instanceSnapshots = driver.createOutputTopic(config.topic(Topic.INSTANCES),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        sentCommands = driver.createOutputTopic(config.topic(Topic.INTERNAL_COMMANDS),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        events = driver.createOutputTopic(config.topic(Topic.EVENTS), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** The processor as partition 0 of {@code partitions}. */
    static TaskDriver withPartitions(int partitions) {
        return with(Map.of(TaskStateConfig.PARTITIONS, Integer.toString(partitions)));
    }

    static TaskDriver with(Map<String, String> settings) {
        Map<String, String> s = new HashMap<>(Map.of(TaskStateConfig.PARTITIONS, "1"));
        s.putAll(settings);
        return new TaskDriver(TaskStateConfig.from(s));
    }

    // ---- commands -------------------------------------------------------------------------

    /** A JSON object written with single quotes for readability: {@code json("{'title': 'x'}")}. */
    static ObjectNode json(String singleQuoted) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }

    static Command create(String payload) {
        return Command.of(CLIENT, CommandType.CREATE_TASK, null, json(payload), null);
    }

    static Command create(ObjectNode payload) {
        return Command.of(CLIENT, CommandType.CREATE_TASK, null, payload, null);
    }

    static Command update(long id, String payload) {
        return Command.of(CLIENT, CommandType.UPDATE_TASK, id, json(payload), null);
    }

    static Command update(long id, ObjectNode payload) {
        return Command.of(CLIENT, CommandType.UPDATE_TASK, id, payload, null);
    }

    static Command update(long id, String payload, String expect) {
        return Command.of(CLIENT, CommandType.UPDATE_TASK, id, json(payload), json(expect));
    }

    static Command delete(long id) {
        return Command.of(CLIENT, CommandType.DELETE_TASK, id, null, null);
    }

    static Command delete(long id, String expect) {
        return Command.of(CLIENT, CommandType.DELETE_TASK, id, null, json(expect));
    }

    /** A {@code set_instance_state} of {@code instanceId} to {@code state}, e.g. {@code "{'status': 'busy'}"}. */
    static Command setInstanceState(String instanceId, String state) {
        return setInstanceState(instanceId, json(state));
    }

    static Command setInstanceState(String instanceId, ObjectNode state) {
        ObjectNode payload = Json.object();
        payload.put("instance_id", instanceId);
        payload.set("state", state);
        return Command.of(CLIENT, CommandType.SET_INSTANCE_STATE, null, payload, null);
    }

    /** A {@code claim_task} of task {@code id}, e.g. {@code claim(1, "{'assignee': 'w', 'lease_seconds': 30}")}. */
    static Command claim(long id, String payload) {
        return claim(id, json(payload));
    }

    static Command claim(long id, ObjectNode payload) {
        return Command.of(CLIENT, CommandType.CLAIM_TASK, id, payload, null);
    }

    /** A {@code release_task} of task {@code id}, e.g. {@code release(1, "{'assignee': 'w', 'force': true}")}. */
    static Command release(long id, String payload) {
        return Command.of(CLIENT, CommandType.RELEASE_TASK, id, json(payload), null);
    }

    /** A {@code complete_task} of task {@code id}, e.g. {@code complete(1, "{'assignee': 'w', 'metadata': {}}")}. */
    static Command complete(long id, String payload) {
        return Command.of(CLIENT, CommandType.COMPLETE_TASK, id, json(payload), null);
    }

    /** A {@code renew_lease} of task {@code id}, e.g. {@code renew(1, "{'assignee': 'w'}")}. */
    static Command renew(long id, String payload) {
        return Command.of(CLIENT, CommandType.RENEW_LEASE, id, json(payload), null);
    }

    /** {@link #START} plus {@code seconds}, for tests where the gaps between records matter. */
    static Instant at(long seconds) {
        return START.plusSeconds(seconds);
    }

    // ---- driving ---------------------------------------------------------------------------

    /** Pipes {@code command} at the next tick and returns its one reply. */
    Reply send(Command command) {
        clock = clock.plusSeconds(1);
        return send(command, clock);
    }

    /** Pipes {@code command} at {@code timestamp} and returns its one reply. */
    Reply send(Command command, Instant timestamp) {
        pipe(routingKey(command), Json.bytes(command), timestamp);
        assertThat(lastReplies).as("replies to %s", command).hasSize(1);
        return Json.read(lastReplies.get(0).value(), Reply.class);
    }

    /** Sends a create that must succeed and returns the new task. */
    Task created(String payload) {
        Reply reply = send(create(payload));
        assertThat(reply.isOk()).as("create %s: %s", payload, reply.message()).isTrue();
        return Json.convert(reply.result(), Task.class);
    }

    /** Sends a create at {@code timestamp} that must succeed and returns the new task. */
    Task created(String payload, Instant timestamp) {
        Reply reply = send(create(payload), timestamp);
        assertThat(reply.isOk()).as("create %s: %s", payload, reply.message()).isTrue();
        return Json.convert(reply.result(), Task.class);
    }

    /** Sends an update at {@code timestamp} that must succeed and returns the updated task. */
    Task updated(long id, String payload, Instant timestamp) {
        Reply reply = send(update(id, payload), timestamp);
        assertThat(reply.isOk()).as("update %d %s: %s", id, payload, reply.message()).isTrue();
        return Json.convert(reply.result(), Task.class);
    }

    /** Sends an update that must succeed and returns the updated task. */
    Task updated(long id, String payload) {
        Reply reply = send(update(id, payload));
        assertThat(reply.isOk()).as("update %d %s: %s", id, payload, reply.message()).isTrue();
        return Json.convert(reply.result(), Task.class);
    }

    /** Sends a command that must succeed with a task (a claim, release, completion or renewal) and returns the task. */
    Task succeeded(Command command, Instant timestamp) {
        Reply reply = send(command, timestamp);
        assertThat(reply.isOk()).as("%s %s: %s", command.type(), command.payload(), reply.message()).isTrue();
        return Json.convert(reply.result(), Task.class);
    }

    /** Claims task {@code id} for {@code assignee} at {@code timestamp}, without a lease; the claim must succeed. */
    Task claimed(long id, String assignee, Instant timestamp) {
        return succeeded(claim(id, "{'assignee': '" + assignee + "'}"), timestamp);
    }

    /** Claims task {@code id} for {@code assignee} at {@code timestamp} under a lease; the claim must succeed. */
    Task claimed(long id, String assignee, long leaseSeconds, Instant timestamp) {
        return succeeded(claim(id, "{'assignee': '" + assignee + "', 'lease_seconds': " + leaseSeconds + "}"), timestamp);
    }

    /** Pipes a raw record value (possibly unreadable) at the next tick. */
    void pipeRaw(byte[] key, byte[] value) {
        clock = clock.plusSeconds(1);
        pipe(key, value, clock);
    }

    /** Pipes {@code command} at {@code timestamp} without expecting a reply: internal commands get none. */
    void deliver(Command command, Instant timestamp) {
        pipe(routingKey(command), Json.bytes(command), timestamp);
    }

    /** A fire-and-forget heartbeat of {@code instanceId} at {@code timestamp}: no reply. */
    void heartbeat(String instanceId, Instant timestamp) {
        pipeHeartbeat(instanceId.getBytes(StandardCharsets.UTF_8),
                Json.bytes(new Heartbeat(instanceId, null, null)), timestamp);
    }

    /** A heartbeat that asks for the instance back, at {@code timestamp}; returns its one reply. */
    Reply heartbeatWithReply(String instanceId, String commandId, Instant timestamp) {
        pipeHeartbeat(instanceId.getBytes(StandardCharsets.UTF_8),
                Json.bytes(new Heartbeat(instanceId, commandId, CLIENT)), timestamp);
        assertThat(lastReplies).as("replies to heartbeat %s", commandId).hasSize(1);
        return Json.read(lastReplies.get(0).value(), Reply.class);
    }

    /** Pipes a raw record (possibly unreadable) onto the heartbeats topic at the next tick. */
    void pipeHeartbeatRaw(byte[] key, byte[] value) {
        clock = clock.plusSeconds(1);
        pipeHeartbeat(key, value, clock);
    }

    /**
     * Moves the mocked wall clock forward to {@code time}, which fires the expiry check once, and
     * processes whatever it sends the processor.
     */
    /** The later of stream time and wall-clock time: a time both may move to. */
    Instant now() {
        return clock.isAfter(wallClock) ? clock : wallClock;
    }

    void advanceWallClockTo(Instant time) {
        assertThat(time).as("the wall clock only moves forward").isAfterOrEqualTo(wallClock);
        driver.advanceWallClockTime(Duration.between(wallClock, time));
        wallClock = time;
        collectOutputs();
    }

    private void pipeHeartbeat(byte[] key, byte[] value, Instant timestamp) {
        heartbeats.pipeInput(key, value, timestamp);
        tick(timestamp);
    }

    private void pipe(byte[] key, byte[] value, Instant timestamp) {
        commands.pipeInput(key, value, timestamp);
        tick(timestamp);
    }

    private void tick(Instant timestamp) {
        if (timestamp.isAfter(clock)) {
            clock = timestamp;
        }
        collectOutputs();
    }

    private void collectOutputs() {
        lastReplies = replies.readRecordsToList();
        lastSnapshots = snapshots.readRecordsToList();
        lastDeadLetters = deadLetters.readRecordsToList();
        lastInstanceSnapshots = instanceSnapshots.readRecordsToList();
        lastSentCommands = sentCommands.readRecordsToList();
        lastEvents.clear();
        lastEvents.addAll(events.readRecordsToList());
    }

    private static byte[] routingKey(Command command) {
        String key = command.taskId() != null ? command.taskId().toString() : command.clientId();
        return key.getBytes(StandardCharsets.UTF_8);
    }

    // ---- what the last record produced ---------------------------------------------------

    /** A record of the tasks topic: the task, or {@code null} for a tombstone. */
    record Snapshot(long id, Task task) {
        boolean isTombstone() {
            return task == null;
        }
    }

    List<Snapshot> lastSnapshots() {
        return lastSnapshots.stream()
                .map(r -> new Snapshot(Long.parseLong(new String(r.key(), StandardCharsets.UTF_8)),
                        r.value() == null ? null : Json.read(r.value(), Task.class)))
                .toList();
    }

    /** The change events of the last record, in order: key (task or instance id) and JSON value. */
    List<TestRecord<byte[], byte[]>> lastEvents() {
        return List.copyOf(lastEvents);
    }

    List<TestRecord<byte[], byte[]>> lastReplyRecords() {
        return lastReplies;
    }

    List<TestRecord<byte[], byte[]>> lastDeadLetters() {
        return lastDeadLetters;
    }

    /** The dead-letter metric, by reason. */
    java.util.Map<String, Long> deadLetterCounts() {
        return DeadLetters.counts(driver.metrics());
    }

    /** The instances published to the instances topic, in order. */
    List<Instance> lastInstanceSnapshots() {
        return lastInstanceSnapshots.stream().map(r -> {
            Instance instance = Json.read(r.value(), Instance.class);
            assertThat(r.key()).asString(StandardCharsets.UTF_8).isEqualTo(instance.instanceId());
            return instance;
        }).toList();
    }

    /** The commands the processor sent itself (to one partition or all), which the driver already piped back in. */
    List<Command> lastSentCommands(CommandType type) {
        return lastSentCommands.stream()
                .map(r -> Json.read(r.value(), Command.class))
                .filter(c -> c.type().equals(type.wire()))
                .toList();
    }

    static String header(TestRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    // ---- stores ----------------------------------------------------------------------------

    Task task(long id) {
        return tasks().get(id);
    }

    KeyValueStore<Long, Task> tasks() {
        return driver.getKeyValueStore(TaskStores.TASKS);
    }

    Instance instance(String id) {
        return instances().get(id);
    }

    KeyValueStore<String, Instance> instances() {
        return driver.getKeyValueStore(TaskStores.INSTANCES);
    }

    Map<String, Instance> allInstances() {
        Map<String, Instance> all = new TreeMap<>();
        try (KeyValueIterator<String, Instance> it = instances().all()) {
            it.forEachRemaining(kv -> all.put(kv.key, kv.value));
        }
        return all;
    }

    /** Task {@code id}'s history entries, oldest first. */
    List<io.taskstate.client.TaskHistoryEntry> history(long id) {
        return TaskHistory.read(historyStore(), id, 0, Integer.MAX_VALUE);
    }

    KeyValueStore<Bytes, byte[]> historyStore() {
        return driver.getKeyValueStore(TaskStores.HISTORY);
    }

    KeyValueStore<Bytes, byte[]> index() {
        return driver.getKeyValueStore(TaskStores.TASK_INDEX);
    }

    KeyValueStore<String, byte[]> dedup() {
        return driver.getKeyValueStore(TaskStores.DEDUP);
    }

    /** The next sequence number the processor will hand out, {@code null} before the first create. */
    Long sequence() {
        KeyValueStore<String, Long> s = driver.getKeyValueStore(TaskStores.SEQUENCE);
        return s.get("next");
    }

    Map<Long, Task> allTasks() {
        Map<Long, Task> all = new TreeMap<>();
        tasks().all().forEachRemaining(kv -> all.put(kv.key, kv.value));
        return all;
    }

    /** The counts of the stats store (without its bookkeeping key). */
    Map<String, Long> stats() {
        KeyValueStore<String, Long> stats = driver.getKeyValueStore(TaskStores.STATS);
        Map<String, Long> counts = new TreeMap<>();
        try (KeyValueIterator<String, Long> it = stats.all()) {
            it.forEachRemaining(kv -> {
                if (TaskStats.isCount(kv.key)) {
                    counts.put(kv.key, kv.value);
                }
            });
        }
        return counts;
    }

    /** The counts a recount of the task store gives: what {@link #stats} must equal. */
    Map<String, Long> recountedStats() {
        return new TreeMap<>(TaskStats.recount(tasks()));
    }

    Set<Bytes> indexKeys() {
        Set<Bytes> keys = new HashSet<>();
        index().all().forEachRemaining(kv -> keys.add(kv.key));
        return keys;
    }

    /** The index keys the live tasks call for: exactly what the index store must hold. */
    Set<Bytes> expectedIndexKeys() {
        Set<Bytes> keys = new HashSet<>();
        allTasks().values().forEach(t -> keys.addAll(TaskIndex.keysOf(t)));
        return keys;
    }

    /** The keys of the reverse dependency store ({@link Dependencies#edge}). */
    Set<Bytes> dependentKeys() {
        KeyValueStore<Bytes, byte[]> store = driver.getKeyValueStore(TaskStores.DEPENDENTS);
        Set<Bytes> keys = new HashSet<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    /** The keys of the lease store: one per task under a lease. */
    Set<Bytes> leaseKeys() {
        KeyValueStore<Bytes, byte[]> leases = driver.getKeyValueStore(TaskStores.LEASES);
        Set<Bytes> keys = new HashSet<>();
        try (KeyValueIterator<Bytes, byte[]> it = leases.all()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    /** The lease keys the live tasks call for: exactly what the lease store must hold. */
    Set<Bytes> expectedLeaseKeys() {
        Set<Bytes> keys = new HashSet<>();
        allTasks().values().stream().filter(t -> t.leaseExpiresAt() != null)
                .forEach(t -> keys.add(TaskIndex.leaseKey(t.leaseExpiresAt(), t.id())));
        return keys;
    }

    /** The in-memory claim queue of the driver's partition (see {@link ClaimQueues#of}). */
    java.util.NavigableMap<Bytes, ClaimQueues.Outline> claimQueue() {
        return claims.of(0);
    }

    /** Ids of the tasks a {@code claim_next} may take, in the order it takes them (the CLAIM family). */
    List<Long> claimOrder() {
        List<Long> stored = idsUnder(TaskIndex.prefix(TaskIndex.Family.CLAIM));
        List<Long> mirrored = claims.of(0).keySet().stream().map(TaskIndex::idOf).toList();
        if (!mirrored.equals(stored)) {
            throw new AssertionError("the in-memory claim queue " + mirrored + " differs from the index's claim family " + stored);
        }
        claims.of(0).forEach((key, outline) -> {
            ClaimQueues.Outline actual = ClaimQueues.Outline.of(task(TaskIndex.idOf(key)));
            if (outline != ClaimQueues.Outline.UNKNOWN && !outline.equals(actual)) {
                throw new AssertionError("the claim queue's outline " + outline + " differs from the task's " + actual);
            }
        });
        return stored;
    }

    /** Ids listed under an index prefix, in scan (query) order. */
    List<Long> idsUnder(byte[] prefix) {
        List<Long> ids = new ArrayList<>();
        index().range(TaskIndex.key(prefix, new byte[0]), TaskIndex.end(prefix))
                .forEachRemaining(kv -> ids.add(TaskIndex.idOf(kv.key)));
        return ids;
    }

    /** Everything a task command may change, to show that a refused one changed nothing. */
    record State(Map<Long, Task> tasks, Set<Bytes> index, Long sequence, Set<Bytes> leases) {
    }

    State state() {
        return new State(allTasks(), indexKeys(), sequence(), leaseKeys());
    }

    /**
     * Moves stream time (and so the dedup sweep) forward by piping a record the processor sends to
     * the dead-letter topic: it changes no store.
     */
    void advanceStreamTime(Duration by) {
        clock = clock.plus(by);
        pipe(null, "tick".getBytes(StandardCharsets.UTF_8), clock);
    }

    @Override
    public void close() {
        driver.close();
        try (Stream<Path> paths = Files.walk(stateDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sum of the Kafka Streams metric {@code name} over its tags, 0 when it does not exist yet. */
    double metric(String name) {
        return driver.metrics().entrySet().stream().filter(m -> m.getKey().name().equals(name))
                .mapToDouble(m -> ((Number) m.getValue().metricValue()).doubleValue()).sum();
    }
}
