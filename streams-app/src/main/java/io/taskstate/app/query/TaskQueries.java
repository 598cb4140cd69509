package io.taskstate.app.query;

import io.taskstate.app.tasks.ClaimQueues;
import io.taskstate.app.tasks.Progress;
import io.taskstate.app.tasks.TaskHistory;
import io.taskstate.app.tasks.TaskIndex;
import io.taskstate.app.tasks.TaskStats;
import io.taskstate.app.tasks.TaskStores;
import io.taskstate.client.TaskHistoryEntry;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskSort;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads tasks from this instance's stores, and says which instance owns what. Each partition is
 * read through its own store so results can be merged in the global order.
 */
public final class TaskQueries {
    /** The global order of query results: newest first, ties broken by the larger id. */
    public static final Comparator<Task> NEWEST_FIRST = Comparator
            .comparing(Task::createdAt).reversed()
            .thenComparing(Comparator.comparingLong(Task::id).reversed());
    /** The order of instance listings: most recent heartbeat first, then by id. */
    public static final Comparator<Instance> MOST_RECENT_HEARTBEAT = Comparator
            .comparing(Instance::lastHeartbeat).reversed().thenComparing(Instance::instanceId);

    private final KafkaStreams streams;
    private final HostInfo self;
    private final int partitions;
    private final String commandsTopic;
    private final Duration instanceTimeout;
    private final Restorations restorations;
    private final CatchUp catchUp;
    private final ClaimQueues claims;

    public TaskQueries(KafkaStreams streams, HostInfo self, int partitions, String commandsTopic, String internalTopic,
                       Duration instanceTimeout, Restorations restorations, org.apache.kafka.clients.admin.Admin admin, Progress progress,
                       ClaimQueues claims, String applicationId) {
        this.streams = streams;
        this.claims = claims;
        this.restorations = restorations;
        this.catchUp = new CatchUp(streams, admin, applicationId, Map.of(Progress.Log.COMMANDS, commandsTopic,
                Progress.Log.INTERNAL, internalTopic), progress);
        this.self = self;
        this.partitions = partitions;
        this.commandsTopic = commandsTopic;
        this.instanceTimeout = instanceTimeout;
    }

    /** The instance whose active stores hold task {@code id}. */
    public HostInfo ownerOf(long id) {
        requireRunning();
        KeyQueryMetadata metadata = streams.queryMetadataForKey(TaskStores.TASKS, id,
                (topic, key, value, n) -> Optional.of(Set.of(Partitioning.partitionOfTask(key, n))));
        if (metadata == null || metadata.activeHost() == null || metadata.activeHost().equals(HostInfo.unavailable())) {
            throw new NotQueryableException("No instance owns task " + id + " right now (rebalancing)", null);
        }
        return metadata.activeHost();
    }

    public boolean isSelf(HostInfo host) {
        return self.equals(host);
    }

    /** Every instance that holds active task stores, this one included. */
    public List<HostInfo> instances() {
        requireRunning();
        List<HostInfo> hosts = new ArrayList<>();
        for (StreamsMetadata m : streams.streamsMetadataForStore(TaskStores.TASKS)) {
            hosts.add(m.hostInfo());
        }
        if (hosts.isEmpty()) {
            throw new NotQueryableException("No instance holds task stores right now (rebalancing)", null);
        }
        return hosts;
    }

    /**
     * The instances that hold task {@code id}'s partition, active first, then standbys; answers
     * while rebalancing too, for reads that accept a stale answer.
     */
    public List<HostInfo> holdersOf(long id) {
        KeyQueryMetadata metadata = streams.queryMetadataForKey(TaskStores.TASKS, id,
                (topic, key, value, n) -> Optional.of(Set.of(Partitioning.partitionOfTask(key, n))));
        List<HostInfo> holders = new ArrayList<>();
        if (metadata != null && metadata.activeHost() != null && !metadata.activeHost().equals(HostInfo.unavailable())) {
            holders.add(metadata.activeHost());
        }
        if (metadata != null) {
            holders.addAll(metadata.standbyHosts());
        }
        return holders;
    }

    /**
     * Task {@code id} from whatever copy of its partition this instance holds (active, restoring or
     * standby), with how many changelog records that copy is behind.
     */
    public Stale<Optional<Task>> staleTask(long id) {
        int partition = Partitioning.partitionOfTask(id, partitions);
        ReadOnlyKeyValueStore<Long, Task> store;
        try {
            store = streams.store(StoreQueryParameters.fromNameAndType(TaskStores.TASKS,
                    new ResolvedKeyValueStore<Long, Task>()).withPartition(partition).enableStaleStores());
        } catch (InvalidStateStoreException e) {
            throw new NotQueryableException("No copy of partition " + partition + " is readable here: " + e.getMessage(), e);
        }
        long lag = Optional.ofNullable(streams.allLocalStorePartitionLags().get(TaskStores.TASKS))
                .map(lags -> lags.get(partition)).map(org.apache.kafka.streams.LagInfo::offsetLag).orElse(0L);
        return new Stale<>(Optional.ofNullable(store.get(id)), lag);
    }

    /**
     * Checks this instance's partitions against their primary store: every task has exactly its
     * index entries and nothing else is indexed, the stats counts equal a recount, parents and subtasks point at each other, every
     * lease has its lease entry, no history outlives its task, and every id is on its home partition and below the partition's
     * next id (so no id is handed out twice). Problems are described one per line; an empty list
     * means consistent.
     */
    /** Records this instance sent to the dead-letter topic since it started, by reason (see {@link io.taskstate.app.tasks.DeadLetters}). */
    public java.util.Map<String, Long> deadLetters() {
        return io.taskstate.app.tasks.DeadLetters.counts(streams.metrics());
    }

    public Slice<String> check() {
        List<String> problems = new ArrayList<>();
        Set<Integer> read = localPartitions();
        long count = 0;
        for (int partition : read) {
            ReadOnlyKeyValueStore<Long, Task> tasks = tasks(partition);
            ReadOnlyKeyValueStore<Bytes, byte[]> index = store(TaskStores.TASK_INDEX, partition);
            ReadOnlyKeyValueStore<Bytes, byte[]> leases = store(TaskStores.LEASES, partition);
            ReadOnlyKeyValueStore<Bytes, byte[]> dependents = store(TaskStores.DEPENDENTS, partition);
            Set<Bytes> expectedIndex = new java.util.HashSet<>();
            Set<Bytes> expectedLeases = new java.util.HashSet<>();
            ReadOnlyKeyValueStore<String, Long> sequence = store(TaskStores.SEQUENCE, partition);
            long nextId = Partitioning.taskId(Optional.ofNullable(sequence.get(TaskStores.SEQUENCE_NEXT)).orElse(0L), partition,
                    partitions);
            java.util.NavigableMap<Bytes, ClaimQueues.Outline> queue = claims.of(partition);
            try (KeyValueIterator<Long, Task> it = tasks.all()) {
                while (it.hasNext()) {
                    Task t = it.next().value;
                    count++;
                    Set<Bytes> keys = TaskIndex.keysOf(t);
                    expectedIndex.addAll(keys);
                    for (Bytes key : keys) {
                        ClaimQueues.Outline outline = ClaimQueues.isClaimKey(key) ? queue.get(key) : null;
                        if (outline != null && outline != ClaimQueues.Outline.UNKNOWN && !outline.equals(ClaimQueues.Outline.of(t))) {
                            problems.add("partition " + partition + ": the claim queue's outline of task " + t.id() + " is "
                                    + outline + ", the task's " + ClaimQueues.Outline.of(t));
                        }
                    }
                    if (t.leaseExpiresAt() != null) {
                        expectedLeases.add(TaskIndex.leaseKey(t.leaseExpiresAt(), t.id()));
                    }
                    if (Partitioning.partitionOfTask(t.id(), partitions) != partition) {
                        problems.add("task " + t.id() + " is stored on partition " + partition + ", not its home");
                    } else if (t.id() >= nextId) {
                        problems.add("task " + t.id() + " is at or past partition " + partition + "'s next id " + nextId
                                + ": its id would be handed out again");
                    }
                    if (t.parentTaskId() != null) {
                        Task parent = tasks.get(t.parentTaskId());
                        if (parent == null || !parent.subtaskIds().contains(t.id())) {
                            problems.add("task " + t.id() + " names parent " + t.parentTaskId() + ", which does not list it");
                        }
                    }
                    checkDependencies(problems, partition, t, tasks, dependents);
                    for (long child : t.subtaskIds()) {
                        Task c = tasks.get(child);
                        if (c == null || !Long.valueOf(t.id()).equals(c.parentTaskId())) {
                            problems.add("task " + t.id() + " lists subtask " + child + ", which does not name it as parent");
                        }
                    }
                }
            }
            compare(problems, "index", partition, expectedIndex, index);
            Set<Bytes> expectedClaims = new java.util.HashSet<>();
            expectedIndex.stream().filter(ClaimQueues::isClaimKey).forEach(expectedClaims::add);
            if (!expectedClaims.equals(new java.util.HashSet<>(queue.keySet()))) {
                problems.add("partition " + partition + ": the in-memory claim queue holds " + queue.size()
                        + " tasks, the index " + expectedClaims.size() + " pending ones");
            }
            compare(problems, "lease", partition, expectedLeases, leases);
            try (KeyValueIterator<Bytes, byte[]> it = dependents.all()) {
                it.forEachRemaining(kv -> {
                    if (tasks.get(TaskIndex.dependencyOfKey(kv.key)) == null) {
                        problems.add("partition " + partition + " lists dependent " + TaskIndex.dependentOfKey(kv.key)
                                + " of task " + TaskIndex.dependencyOfKey(kv.key) + ", which does not exist");
                    }
                });
            }
            Map<String, Long> counted = TaskStats.recount(tasks);
            Map<String, Long> stored = new java.util.HashMap<>();
            try (KeyValueIterator<String, Long> it = this.<String, Long>store(TaskStores.STATS, partition).all()) {
                it.forEachRemaining(kv -> {
                    if (TaskStats.isCount(kv.key)) {
                        stored.put(kv.key, kv.value);
                    }
                });
            }
            if (!counted.equals(stored)) {
                problems.add("partition " + partition + ": the stats store holds " + new java.util.TreeMap<>(stored)
                        + ", a recount of the tasks gives " + new java.util.TreeMap<>(counted));
            }
            long orphans = 0;
            try (KeyValueIterator<Bytes, byte[]> it = this.<Bytes, byte[]>store(TaskStores.HISTORY, partition).all()) {
                while (it.hasNext()) {
                    if (tasks.get(TaskHistory.idOf(it.next().key)) == null) {
                        orphans++;
                    }
                }
            }
            if (orphans > 0) {
                problems.add("partition " + partition + ": " + orphans + " history entries of tasks that no longer exist");
            }
        }
        problems.add(0, "tasks=" + count);
        return new Slice<>(problems, read);
    }

    /**
     * A dependency on the same partition must list {@code t} as its dependent and be open in
     * {@code t} exactly while it is not completed. One on another partition may be in flight and is
     * not checked.
     */
    private void checkDependencies(List<String> problems, int partition, Task t, ReadOnlyKeyValueStore<Long, Task> tasks,
                                   ReadOnlyKeyValueStore<Bytes, byte[]> dependents) {
        for (long d : t.dependsOn()) {
            if (Partitioning.partitionOfTask(d, partitions) != partition) {
                continue;
            }
            Task dependency = tasks.get(d);
            if (dependency == null) {
                problems.add("task " + t.id() + " depends on task " + d + ", which does not exist");
            } else if (dependents.get(TaskIndex.dependentKey(d, t.id())) == null) {
                problems.add("task " + t.id() + " depends on task " + d + ", which does not list it as a dependent");
            } else if ((dependency.status() == io.taskstate.protocol.TaskStatus.COMPLETED) == t.openDependencies().contains(d)) {
                problems.add("task " + t.id() + " counts dependency " + d + " as " + (t.openDependencies().contains(d)
                        ? "open" : "completed") + ", but it is " + dependency.status().wire());
            }
        }
    }

    private static void compare(List<String> problems, String what, int partition, Set<Bytes> expected,
                                ReadOnlyKeyValueStore<Bytes, byte[]> store) {
        Set<Bytes> actual = new java.util.HashSet<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            it.forEachRemaining(kv -> actual.add(kv.key));
        }
        long missing = expected.stream().filter(k -> !actual.contains(k)).count();
        long extra = actual.stream().filter(k -> !expected.contains(k)).count();
        if (missing > 0 || extra > 0) {
            problems.add("partition " + partition + ": " + missing + " " + what + " entries missing, " + extra + " left over");
        }
    }

    /** A read from a copy that may be behind, and by how many records. */
    public record Stale<T>(T value, long lag) {
    }

    /** Task {@code id} from this instance's store, which must own it. */
    public Optional<Task> localTask(long id) {
        int partition = Partitioning.partitionOfTask(id, partitions);
        return Optional.ofNullable(tasks(partition).get(id));
    }

    /**
     * Up to {@code max} history entries of task {@code id} after entry {@code afterSeq}, oldest
     * first, from this instance's store, which must own it; empty when there is no such task.
     */
    public Optional<List<TaskHistoryEntry>> localHistory(long id, long afterSeq, int max) {
        int partition = Partitioning.partitionOfTask(id, partitions);
        if (tasks(partition).get(id) == null) {
            return Optional.empty();
        }
        return Optional.of(TaskHistory.read(store(TaskStores.HISTORY, partition), id, afterSeq, max));
    }

    /**
     * Up to {@code limit + 1} matching tasks of this instance's partitions after {@code cursor}, in
     * the global order; the extra one tells the caller that another page follows. The result names
     * the partitions it read, so a fan-out can tell a complete answer from a partial one.
     */
    public Slice<Task> localQuery(TaskFilter filter, Cursor cursor, int limit) {
        return localQuery(filter, TaskSort.NEWEST_FIRST, cursor, limit);
    }

    /**
     * As {@link #localQuery(TaskFilter, Cursor, int)} in {@code sort} order. By created_at a partition
     * reads its index from the cursor on and stops after {@code limit + 1} matches; by updated_at or
     * priority it reads every task under the filter's index and keeps the first {@code limit + 1}
     * after the cursor, so each page costs a scan of the matching tasks.
     */
    public Slice<Task> localQuery(TaskFilter filter, TaskSort sort, Cursor cursor, int limit) {
        Set<Integer> read = localPartitions();
        if (sort.field() == TaskSort.Field.CREATED_AT) {
            return new Slice<>(scan(read, filter, sort.ascending(), cursor, limit + 1), read);
        }
        List<Task> merged = new ArrayList<>();
        for (int partition : read) {
            merged.addAll(top(partition, filter, sort, cursor, limit + 1));
        }
        merged.sort(sort.comparator());
        return new Slice<>(merged.size() > limit + 1 ? merged.subList(0, limit + 1) : merged, read);
    }

    /** The first {@code max} matches after {@code cursor} in {@code sort} order, from a scan of the filter's index. */
    private List<Task> top(int partition, TaskFilter filter, TaskSort sort, Cursor cursor, int max) {
        ReadOnlyKeyValueStore<Long, Task> tasks = tasks(partition);
        ReadOnlyKeyValueStore<Bytes, byte[]> index = store(TaskStores.TASK_INDEX, partition);
        byte[] prefix = filter.index();
        Comparator<Task> order = sort.comparator();
        java.util.PriorityQueue<Task> best = new java.util.PriorityQueue<>(order.reversed());
        long[] after = cursor == null ? null : cursor.key();
        try (KeyValueIterator<Bytes, byte[]> it = index.range(TaskIndex.key(prefix, new byte[0]), TaskIndex.end(prefix))) {
            while (it.hasNext()) {
                Task task = tasks.get(TaskIndex.idOf(it.next().key));
                if (task == null || !filter.matches(task) || (after != null && sort.compare(sort.key(task), after) <= 0)) {
                    continue;
                }
                best.add(task);
                if (best.size() > max) {
                    best.poll();
                }
            }
        }
        List<Task> out = new ArrayList<>(best);
        out.sort(order);
        return out;
    }

    /**
     * The pending task created first on this instance's partitions (read from the end of each
     * partition's pending index), or none.
     */
    public Slice<Task> localOldestPending() {
        List<Task> found = new ArrayList<>();
        Set<Integer> read = localPartitions();
        byte[] prefix = TaskIndex.prefix(TaskIndex.Family.STATUS, io.taskstate.protocol.TaskStatus.PENDING.wire());
        for (int partition : read) {
            ReadOnlyKeyValueStore<Bytes, byte[]> index = store(TaskStores.TASK_INDEX, partition);
            try (KeyValueIterator<Bytes, byte[]> it = index.reverseRange(TaskIndex.key(prefix, new byte[0]), TaskIndex.end(prefix))) {
                if (it.hasNext()) {
                    Optional.ofNullable(tasks(partition).get(TaskIndex.idOf(it.next().key))).ifPresent(found::add);
                }
            }
        }
        found.sort(OLDEST_FIRST);
        return new Slice<>(found.isEmpty() ? found : found.subList(0, 1), read);
    }

    /** Oldest first, ties broken by the smaller id: the reverse of {@link #NEWEST_FIRST}. */
    public static final Comparator<Task> OLDEST_FIRST = NEWEST_FIRST.reversed();

    /**
     * The stats counts of this instance's partitions, summed (see {@link TaskStats}), and which
     * partitions were read.
     */
    public Slice<Map.Entry<String, Long>> localStats() {
        Map<String, Long> sums = new java.util.TreeMap<>();
        Set<Integer> read = localPartitions();
        for (int partition : read) {
            ReadOnlyKeyValueStore<String, Long> stats = store(TaskStores.STATS, partition);
            try (KeyValueIterator<String, Long> it = stats.all()) {
                it.forEachRemaining(kv -> {
                    if (TaskStats.isCount(kv.key)) {
                        sums.merge(kv.key, kv.value, Long::sum);
                    }
                });
            }
        }
        return new Slice<>(List.copyOf(sums.entrySet()), read);
    }

    /**
     * Up to {@code limit} pending tasks per local partition that {@code filter} allows, in the
     * order {@code claim_next} takes them (priority critical first, then oldest, then smallest id).
     */
    public Slice<Task> claimable(ClaimFilter filter, int limit) {
        List<Task> found = new ArrayList<>();
        Set<Integer> read = localPartitions();
        for (int partition : read) {
            ReadOnlyKeyValueStore<Long, Task> tasks = tasks(partition);
            int taken = 0;
            Iterator<Map.Entry<Bytes, ClaimQueues.Outline>> it =
                    ClaimQueues.ofPriority(claims.of(partition), filter.priority()).entrySet().iterator();
            while (it.hasNext() && taken < limit) {
                Map.Entry<Bytes, ClaimQueues.Outline> candidate = it.next();
                if (!candidate.getValue().mayPass(filter)) {
                    continue; // ruled out by its title, parent or assignee, without reading it
                }
                Task task = tasks.get(TaskIndex.idOf(candidate.getKey()));
                if (task != null && task.status() == io.taskstate.protocol.TaskStatus.PENDING && task.ready()) {
                    if (candidate.getValue() == ClaimQueues.Outline.UNKNOWN) {
                        claims.learn(partition, candidate.getKey(), task);
                    }
                    if (filter.matches(task)) {
                        found.add(task);
                        taken++;
                    }
                }
            }
        }
        found.sort(CLAIM_ORDER);
        return new Slice<>(found, read);
    }

    /** The order {@code claim_next} takes pending tasks in. */
    public static final Comparator<Task> CLAIM_ORDER = Comparator
            .comparing((Task t) -> t.priority().ordinal()).reversed()
            .thenComparing(Task::createdAt)
            .thenComparingLong(Task::id);

    /** The number of partitions a complete answer covers. */
    public int partitions() {
        return partitions;
    }

    /** Entities read from some partitions, in the global order, and which partitions those were. */
    public record Slice<T>(List<T> items, Set<Integer> partitions) {
        public Slice {
            items = List.copyOf(items);
            partitions = Set.copyOf(partitions);
        }
    }

    /** The instance whose active stores hold instance {@code id}. */
    public HostInfo ownerOfInstance(String id) {
        requireRunning();
        KeyQueryMetadata metadata = streams.queryMetadataForKey(TaskStores.INSTANCES, id,
                (topic, key, value, n) -> Optional.of(Set.of(Partitioning.partitionOfKey(key, n))));
        if (metadata == null || metadata.activeHost() == null || metadata.activeHost().equals(HostInfo.unavailable())) {
            throw new NotQueryableException("No instance owns instance " + id + " right now (rebalancing)", null);
        }
        return metadata.activeHost();
    }

    /** Instance {@code id} from this instance's store, with {@code active} computed now. */
    public Optional<Instance> localInstance(String id) {
        ReadOnlyKeyValueStore<String, Instance> store = store(TaskStores.INSTANCES, Partitioning.partitionOfKey(id, partitions));
        return Optional.ofNullable(store.get(id)).map(i -> i.at(Instant.now(), instanceTimeout));
    }

    /** Every instance on this instance's partitions, most recent heartbeat first, {@code active} computed now. */
    public Slice<Instance> localInstances() {
        Instant now = Instant.now();
        List<Instance> found = new ArrayList<>();
        Set<Integer> read = localPartitions();
        for (int partition : read) {
            ReadOnlyKeyValueStore<String, Instance> store = store(TaskStores.INSTANCES, partition);
            try (KeyValueIterator<String, Instance> it = store.all()) {
                it.forEachRemaining(kv -> found.add(kv.value.at(now, instanceTimeout)));
            }
        }
        found.sort(MOST_RECENT_HEARTBEAT);
        return new Slice<>(found, read);
    }

    /**
     * Up to {@code max} matches after {@code cursor} by created_at, newest first or ({@code ascending})
     * oldest first. The partitions' index ranges are merged by key (a key ends in the task's sort
     * key, so key order is the query order in every partition), and a task is read only when it is
     * next in the merged order: a page reads about {@code max} tasks, not {@code max} per partition.
     */
    private List<Task> scan(Set<Integer> partitions, TaskFilter filter, boolean ascending, Cursor cursor, int max) {
        byte[] prefix = filter.index();
        Bytes first = TaskIndex.key(prefix, new byte[0]);
        Bytes at = cursor == null ? null : TaskIndex.key(prefix, TaskIndex.sortKey(cursor.createdAt(), cursor.id()));
        Comparator<IndexHead> byKey = Comparator.comparing(IndexHead::key);
        java.util.PriorityQueue<IndexHead> heads = new java.util.PriorityQueue<>(ascending ? byKey.reversed() : byKey);
        List<KeyValueIterator<Bytes, byte[]>> open = new ArrayList<>();
        List<Task> out = new ArrayList<>();
        try {
            for (int partition : partitions) {
                ReadOnlyKeyValueStore<Long, Task> tasks = tasks(partition);
                ReadOnlyKeyValueStore<Bytes, byte[]> index = store(TaskStores.TASK_INDEX, partition);
                KeyValueIterator<Bytes, byte[]> it = ascending
                        ? index.reverseRange(first, at == null ? TaskIndex.end(prefix) : at)
                        : index.range(at == null ? first : at, TaskIndex.end(prefix));
                open.add(it);
                IndexHead.next(it, tasks).ifPresent(heads::add);
            }
            while (!heads.isEmpty() && out.size() < max) {
                IndexHead head = heads.poll();
                IndexHead.next(head.keys(), head.tasks()).ifPresent(heads::add);
                long id = TaskIndex.idOf(head.key());
                if (cursor != null && id == cursor.id()) {
                    continue;
                }
                Task task = head.tasks().get(id);
                if (task == null) {
                    continue;
                }
                // the merged keys are in created_at order: past the end of the created range nothing more matches
                if (ascending ? filter.afterCreatedRange(task.createdAt()) : filter.beforeCreatedRange(task.createdAt())) {
                    break;
                }
                if (filter.matches(task)) {
                    out.add(task);
                }
            }
        } finally {
            open.forEach(KeyValueIterator::close);
        }
        return out;
    }

    /** The next unread index key of one partition, with that partition's iterator and task store. */
    private record IndexHead(Bytes key, KeyValueIterator<Bytes, byte[]> keys, ReadOnlyKeyValueStore<Long, Task> tasks) {
        static Optional<IndexHead> next(KeyValueIterator<Bytes, byte[]> keys, ReadOnlyKeyValueStore<Long, Task> tasks) {
            return keys.hasNext() ? Optional.of(new IndexHead(keys.next().key, keys, tasks)) : Optional.empty();
        }
    }

    private Set<Integer> localPartitions() {
        requireRunning();
        Set<Integer> local = new TreeSet<>();
        for (StreamsMetadata m : streams.streamsMetadataForStore(TaskStores.TASKS)) {
            if (m.hostInfo().equals(self)) {
                for (TopicPartition tp : m.topicPartitions()) {
                    if (tp.topic().equals(commandsTopic)) {
                        local.add(tp.partition());
                    }
                }
            }
        }
        return local;
    }

    private ReadOnlyKeyValueStore<Long, Task> tasks(int partition) {
        return store(TaskStores.TASKS, partition);
    }

    private <K, V> ReadOnlyKeyValueStore<K, V> store(String name, int partition) {
        if (restorations.restoring(name, partition)) {
            throw new NotQueryableException("Store " + name + " of partition " + partition
                    + " is being restored from its changelog", null);
        }
        if (!catchUp.awaitCaughtUp(partition, CATCH_UP_PATIENCE)) {
            throw new NotQueryableException("Partition " + partition + " is not active here, or is processing again "
                    + "the commands it had when it started here", null);
        }
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name, new ResolvedKeyValueStore<K, V>())
                    .withPartition(partition));
        } catch (InvalidStateStoreException e) {
            throw new NotQueryableException("Store " + name + " of partition " + partition
                    + " is not queryable right now: " + e.getMessage(), e);
        }
    }

    /** Whether this instance can answer: Kafka Streams is running and no store is being restored. */
    public boolean ready() {
        return streams.state() == KafkaStreams.State.RUNNING && !restorations.any()
                && localPartitions().stream().allMatch(catchUp::caughtUp);
    }

    /** This instance runs its partitions now: note the end of each one's command log. */
    public void running() {
        catchUp.started(localPartitions());
    }

    private static final Duration CATCH_UP_PATIENCE = Duration.ofSeconds(2);

    private void requireRunning() {
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            throw new NotQueryableException("Kafka Streams is " + state + ", not RUNNING", null);
        }
    }
}
