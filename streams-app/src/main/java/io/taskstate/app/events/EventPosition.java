package io.taskstate.app.events;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A place in the events topic: for every partition, the offset of the next event to read. It is
 * the {@code id} of each event a stream sends, so a client that reconnects with it as
 * {@code Last-Event-ID} gets exactly the events after it. Written as the offsets in partition
 * order, joined by dots ({@code 12.0.7} for three partitions).
 */
public final class EventPosition {
    private final long[] next;

    EventPosition(long[] next) {
        this.next = next.clone();
    }

    /** Reads a position written by {@link #toString()} for a topic of {@code partitions} partitions. */
    public static EventPosition parse(String text, int partitions) {
        String[] parts = text.strip().split("\\.", -1);
        if (parts.length != partitions) {
            throw new IllegalArgumentException("it has " + parts.length + " offsets, but the events topic has " + partitions
                    + " partitions");
        }
        long[] next = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            try {
                next[p] = Long.parseLong(parts[p]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("offset " + p + " is not a number");
            }
            if (next[p] < 0) {
                throw new IllegalArgumentException("offset " + p + " is negative");
            }
        }
        return new EventPosition(next);
    }

    /** The next offset of {@code partition}. */
    public long next(int partition) {
        return next[partition];
    }

    public int partitions() {
        return next.length;
    }

    long[] offsets() {
        return next.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventPosition other && Arrays.equals(next, other.next);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(next);
    }

    @Override
    public String toString() {
        return Arrays.stream(next).mapToObj(Long::toString).collect(Collectors.joining("."));
    }
}
