package io.taskstate.protocol;

import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The order of a task query: by {@code created_at}, {@code updated_at} or {@code priority}, ties
 * broken by {@code created_at} then id in the same direction, so the order is total and a cursor
 * names one position in it. The default, {@link #NEWEST_FIRST}, is the order of the indexes.
 */
public record TaskSort(Field field, boolean ascending) {
    /** What tasks are ordered by. */
    public enum Field {
        CREATED_AT, UPDATED_AT, PRIORITY;

        /** Every wire value, comma separated, for error messages. */
        public static final String VALID = Arrays.stream(values()).map(Field::wire).collect(Collectors.joining(", "));

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final TaskSort NEWEST_FIRST = new TaskSort(Field.CREATED_AT, false);

    public TaskSort {
        java.util.Objects.requireNonNull(field, "field");
    }

    /**
     * {@code sort} and {@code order} as a query names them; either may be null (created_at, desc).
     *
     * @throws IllegalArgumentException naming the valid values
     */
    public static TaskSort parse(String sort, String order) {
        Field field = sort == null ? Field.CREATED_AT : Arrays.stream(Field.values()).filter(f -> f.wire().equals(sort)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("Invalid sort. Must be one of: " + Field.VALID));
        if (order != null && !order.equals("asc") && !order.equals("desc")) {
            throw new IllegalArgumentException("Invalid order. Must be asc or desc");
        }
        return new TaskSort(field, "asc".equals(order));
    }

    /** The sort position of {@code t}: the sorted value, then created_at in microseconds, then id. */
    public long[] key(Task t) {
        long created = micros(t.createdAt());
        long primary = switch (field) {
            case CREATED_AT -> created;
            case UPDATED_AT -> micros(t.updatedAt());
            case PRIORITY -> t.priority().ordinal();
        };
        return new long[] {primary, created, t.id()};
    }

    /** Negative when position {@code a} comes before {@code b} in this order. */
    public int compare(long[] a, long[] b) {
        int c = Arrays.compare(a, b);
        return ascending ? c : -c;
    }

    public Comparator<Task> comparator() {
        return (a, b) -> compare(key(a), key(b));
    }

    /** Microseconds since the epoch: the precision of every time the processor records. */
    public static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }
}
