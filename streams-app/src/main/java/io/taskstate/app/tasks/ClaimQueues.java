package io.taskstate.app.tasks;

import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import java.util.Collections;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The pending tasks of each partition this instance processes, best first: the claim family of the
 * task index ({@link TaskIndex#claimKey}), mirrored in memory. {@code claim_next} reads the head of
 * it on every call, and in RocksDB that head is where every task claimed since the last compaction
 * left its deletion marker, each one stepped over again by every scan; the mirror holds only live
 * keys. The processor rebuilds a partition's mirror from the store whenever the partition starts
 * here (after a crash the store is restored first), then changes it with the store, so it reads
 * as the store does, uncommitted changes included.
 *
 * <p>Each key maps to the task's {@link Outline}, what a claim filter tests besides priority and
 * metadata, so a filtered claim steps over the pending tasks ahead of its matches without reading
 * and decoding each from the store. A rebuilt mirror starts with every outline {@link
 * Outline#UNKNOWN}: the first claim that reads the task {@link #learn learns} it, and every change
 * of the task writes it. About 100 bytes of heap per pending task, and its title once learned.
 */
public final class ClaimQueues {
    private final AtomicReferenceArray<ConcurrentNavigableMap<Bytes, Outline>> queues;

    /**
     * What a {@link ClaimFilter} tests of a pending task besides its priority (in the claim key) and
     * metadata. {@link #UNKNOWN} (a null title) until learned.
     */
    public record Outline(String lowerCaseTitle, Long parentTaskId, boolean assigned) {
        public static final Outline UNKNOWN = new Outline(null, null, false);

        public static Outline of(Task task) {
            return new Outline(ClaimFilter.lowerCaseTitle(task), task.parentTaskId(), task.assignee() != null);
        }

        /** False only when the task cannot pass {@code filter}; always true while unknown. */
        public boolean mayPass(ClaimFilter filter) {
            return lowerCaseTitle == null || filter.matchesOutline(lowerCaseTitle, parentTaskId, assigned);
        }
    }

    public ClaimQueues(int partitions) {
        this.queues = new AtomicReferenceArray<>(partitions);
    }

    /** A fresh mirror of {@code partition}'s claim keys in {@code index}; the one its processor changes from now on. */
    NavigableMap<Bytes, Outline> rebuild(int partition, KeyValueStore<Bytes, byte[]> index) {
        ConcurrentNavigableMap<Bytes, Outline> queue = new ConcurrentSkipListMap<>();
        try (KeyValueIterator<Bytes, byte[]> it = index.prefixScan(Bytes.wrap(TaskIndex.prefix(TaskIndex.Family.CLAIM)),
                new BytesSerializer())) {
            it.forEachRemaining(kv -> queue.put(kv.key, Outline.UNKNOWN));
        }
        queues.set(partition, queue);
        return queue;
    }

    /** The claim keys of {@code partition}, best first, as its processor last left them; empty if it never ran here. */
    public NavigableMap<Bytes, Outline> of(int partition) {
        NavigableMap<Bytes, Outline> queue = queues.get(partition);
        return queue == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(queue);
    }

    /**
     * Records the outline of {@code task}, just read from the store under claim key {@code key}, if
     * its outline is still unknown. Never overwrites: a change the processor made since the read
     * has written the newer outline already (it writes the store first, then the mirror).
     */
    public void learn(int partition, Bytes key, Task task) {
        ConcurrentNavigableMap<Bytes, Outline> queue = queues.get(partition);
        if (queue != null && TaskIndex.claimKey(task).equals(key)) {
            queue.replace(key, Outline.UNKNOWN, Outline.of(task));
        }
    }

    /**
     * The entries of {@code queue} (one of {@link #of}) a claim filtered to {@code priority} can take,
     * best first: that priority's run of the queue, without stepping over the runs of the
     * priorities above it. All of it when {@code priority} is null.
     */
    public static NavigableMap<Bytes, Outline> ofPriority(NavigableMap<Bytes, Outline> queue, Priority priority) {
        if (priority == null) {
            return queue;
        }
        byte[] from = TaskIndex.claimPrefix(priority);
        byte[] to = from.clone();
        to[to.length - 1]++; // the prefix of the priority below, or past the lowest
        return queue.subMap(Bytes.wrap(from), true, Bytes.wrap(to), false);
    }

    /** Whether {@code key} of the task index is a claim key (see {@link TaskIndex#claimKey}). */
    public static boolean isClaimKey(Bytes key) {
        return key.get().length > 0 && key.get()[0] == TaskIndex.Family.CLAIM.tag();
    }
}
