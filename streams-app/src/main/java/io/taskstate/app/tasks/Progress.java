package io.taskstate.app.tasks;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How far the processor of each partition has got through its command log on this instance, since
 * the partition last started here. The query layer uses it to tell when a partition that just came
 * to this instance has processed again the commands its previous owner answered but did not commit.
 */
public final class Progress {
    private final AtomicLongArray processed;
    private final AtomicIntegerArray starts;

    public Progress(int partitions) {
        this.processed = new AtomicLongArray(partitions);
        this.starts = new AtomicIntegerArray(partitions);
        for (int p = 0; p < partitions; p++) {
            processed.set(p, -1);
        }
    }

    /** The processor of {@code partition} (re)starts here, from its last committed state. */
    void started(int partition) {
        processed.set(partition, -1);
        starts.incrementAndGet(partition);
    }

    void processed(int partition, long offset) {
        processed.lazySet(partition, offset);
    }

    /** The offset of the last command processed since the partition's latest start here, or -1. */
    public long processed(int partition) {
        return processed.get(partition);
    }

    /** How many times {@code partition} started here: 0 while it never ran here. */
    public int starts(int partition) {
        return starts.get(partition);
    }
}
