package io.taskstate.app.tasks;

import io.taskstate.protocol.Task;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Task counts of one partition, kept in the {@link TaskStores#STATS} store in the same step as the
 * task: {@code total}, {@code status/<status>}, {@code priority/<priority>} and
 * {@code assignee/<name>}, each the number of tasks with that value. A count that falls to zero is
 * removed, so the store holds one key per value in use. {@code GET /api/v1/stats} sums them over the
 * partitions instead of reading every task.
 */
public final class TaskStats {
    public static final String TOTAL = "total";
    public static final String STATUS = "status/";
    public static final String PRIORITY = "priority/";
    public static final String ASSIGNEE = "assignee/";
    /** Present once the counts cover every task of the partition (a store made before counting began is recounted). */
    static final String COUNTED = "#counted";

    private final KeyValueStore<String, Long> counts;
    private final KeyValueStore<Long, Task> tasks;
    private boolean counted;

    TaskStats(KeyValueStore<String, Long> counts, KeyValueStore<Long, Task> tasks) {
        this.counts = counts;
        this.tasks = tasks;
    }

    /** Counts the change of one task; {@code before == null} creates, {@code after == null} deletes. Call before the task store is written. */
    void apply(Task before, Task after) {
        if (!counted) {
            if (counts.get(COUNTED) == null) {
                recount(tasks).forEach(counts::put);
                counts.put(COUNTED, 1L);
            }
            counted = true;
        }
        Map<String, Long> change = new HashMap<>();
        if (before != null) {
            keysOf(before).forEach(k -> change.merge(k, -1L, Long::sum));
        }
        if (after != null) {
            keysOf(after).forEach(k -> change.merge(k, 1L, Long::sum));
        }
        change.forEach((key, delta) -> {
            if (delta != 0) {
                long now = Objects.requireNonNullElse(counts.get(key), 0L) + delta;
                if (now == 0) {
                    counts.delete(key);
                } else {
                    counts.put(key, now);
                }
            }
        });
    }

    /** Whether {@code key} of the stats store is a count (and not bookkeeping). */
    public static boolean isCount(String key) {
        return !key.equals(COUNTED);
    }

    /** The counts of every task in {@code tasks}, as the store should hold them. */
    public static Map<String, Long> recount(ReadOnlyKeyValueStore<Long, Task> tasks) {
        Map<String, Long> counts = new HashMap<>();
        try (KeyValueIterator<Long, Task> it = tasks.all()) {
            it.forEachRemaining(kv -> keysOf(kv.value).forEach(k -> counts.merge(k, 1L, Long::sum)));
        }
        return counts;
    }

    private static Iterable<String> keysOf(Task t) {
        return t.assignee() == null
                ? java.util.List.of(TOTAL, STATUS + t.status().wire(), PRIORITY + t.priority().wire())
                : java.util.List.of(TOTAL, STATUS + t.status().wire(), PRIORITY + t.priority().wire(), ASSIGNEE + t.assignee());
    }
}
