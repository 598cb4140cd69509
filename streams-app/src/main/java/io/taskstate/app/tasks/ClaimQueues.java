package io.taskstate.app.tasks;

import io.taskstate.protocol.Priority;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
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
 * as the store does, uncommitted changes included. About 100 bytes of heap per pending task.
 */
public final class ClaimQueues {
    private final AtomicReferenceArray<NavigableSet<Bytes>> queues;

    public ClaimQueues(int partitions) {
        this.queues = new AtomicReferenceArray<>(partitions);
    }

    /** A fresh mirror of {@code partition}'s claim keys in {@code index}; the one its processor changes from now on. */
    NavigableSet<Bytes> rebuild(int partition, KeyValueStore<Bytes, byte[]> index) {
        NavigableSet<Bytes> queue = new ConcurrentSkipListSet<>();
        try (KeyValueIterator<Bytes, byte[]> it = index.prefixScan(Bytes.wrap(TaskIndex.prefix(TaskIndex.Family.CLAIM)),
                new BytesSerializer())) {
            it.forEachRemaining(kv -> queue.add(kv.key));
        }
        queues.set(partition, queue);
        return queue;
    }

    /** The claim keys of {@code partition}, best first, as its processor last left them; empty if it never ran here. */
    public NavigableSet<Bytes> of(int partition) {
        NavigableSet<Bytes> queue = queues.get(partition);
        return queue == null ? java.util.Collections.emptyNavigableSet() : java.util.Collections.unmodifiableNavigableSet(queue);
    }

    /**
     * The keys of {@code queue} (one of {@link #of}) a claim filtered to {@code priority} can take,
     * best first: that priority's run of the queue, without stepping over the runs of the
     * priorities above it. All of it when {@code priority} is null.
     */
    public static NavigableSet<Bytes> ofPriority(NavigableSet<Bytes> queue, Priority priority) {
        if (priority == null) {
            return queue;
        }
        byte[] from = TaskIndex.claimPrefix(priority);
        byte[] to = from.clone();
        to[to.length - 1]++; // the prefix of the priority below, or past the lowest
        return queue.subSet(Bytes.wrap(from), true, Bytes.wrap(to), false);
    }

    /** Whether {@code key} of the task index is a claim key (see {@link TaskIndex#claimKey}). */
    public static boolean isClaimKey(Bytes key) {
        return key.get().length > 0 && key.get()[0] == TaskIndex.Family.CLAIM.tag();
    }
}
