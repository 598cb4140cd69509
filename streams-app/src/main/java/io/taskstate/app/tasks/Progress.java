package io.taskstate.app.tasks;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How far the processor of each partition has got through its command logs on this instance, since
 * the partition last started here. The query layer uses it to tell when a partition that just came
 * to this instance has processed again the commands its previous owner answered but did not commit.
 */
public final class Progress {
    /** The logs of commands a partition's processor reads and answers. */
    public enum Log {
        /** Clients' commands, {@code task-commands}. */
        COMMANDS,
        /** The app's own, {@code internal-commands}. */
        INTERNAL
    }

    private final int partitions;
    private final AtomicLongArray processed;
    private final AtomicIntegerArray starts;

    public Progress(int partitions) {
        this.partitions = partitions;
        this.processed = new AtomicLongArray(partitions * Log.values().length);
        this.starts = new AtomicIntegerArray(partitions);
        for (int i = 0; i < processed.length(); i++) {
            processed.set(i, -1);
        }
    }

    /** The processor of {@code partition} (re)starts here, from its last committed state. */
    void started(int partition) {
        for (Log log : Log.values()) {
            processed.set(index(log, partition), -1);
        }
        starts.incrementAndGet(partition);
    }

    void processed(Log log, int partition, long offset) {
        processed.lazySet(index(log, partition), offset);
    }

    /** The offset of the last record of {@code log} processed since the partition's latest start here, or -1. */
    public long processed(Log log, int partition) {
        return processed.get(index(log, partition));
    }

    /** How many times {@code partition} started here: 0 while it never ran here. */
    public int starts(int partition) {
        return starts.get(partition);
    }

    private int index(Log log, int partition) {
        return log.ordinal() * partitions + partition;
    }
}
