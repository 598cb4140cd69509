package io.taskstate.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Task;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import java.util.stream.Collectors;

/**
 * Checks the {@code depends_on} of a create or update against the whole graph before the command
 * is sent: every named task exists, and, for an update, none of them leads back to the task. A
 * partition checks the same atomically for its own tasks, but cannot see the others; this walk
 * reads them wherever they live, level by level, as they are at that moment. Two updates on
 * different partitions at the same time may still close a cycle between them (see the README).
 * A malformed {@code depends_on} is left to the processor, which says what is wrong.
 */
public final class DependencyWalk {
    /** Most tasks one walk reads; a graph larger than that is checked only as far. */
    public static final int MAX_TASKS = 10_000;

    private final LongFunction<CompletableFuture<Optional<Task>>> lookup;

    /** @param lookup reads one task by id, empty when it does not exist */
    public DependencyWalk(LongFunction<CompletableFuture<Optional<Task>>> lookup) {
        this.lookup = lookup;
    }

    /** The refusal of a dependency that does not exist. */
    public static String missing(long id) {
        return "Task " + id + " does not exist: depends_on may only name existing tasks";
    }

    /** The refusal of a dependency that closes {@code path} (first and last element the task itself). */
    public static String cycle(List<Long> path) {
        return "depends_on would make a cycle: " + path.stream().map(String::valueOf).collect(Collectors.joining(" -> "))
                + "; remove one of these dependencies";
    }

    /**
     * Why {@code dependsOn} cannot be given to task {@code taskId} ({@code null} for a new task), or
     * {@code null} when nothing is wrong. Fails when a task cannot be read (unavailable, timeout).
     */
    public CompletableFuture<String> problem(Long taskId, JsonNode dependsOn) {
        List<Long> ids = ids(dependsOn);
        if (ids.isEmpty() || (taskId != null && ids.contains(taskId))) {
            return CompletableFuture.completedFuture(null);
        }
        Map<Long, Long> via = new HashMap<>();
        ids.forEach(id -> via.put(id, 0L));
        return level(taskId, ids, via, true);
    }

    private CompletableFuture<String> level(Long self, List<Long> frontier, Map<Long, Long> via, boolean first) {
        List<CompletableFuture<Optional<Task>>> reads = frontier.stream().map(lookup::apply).toList();
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenCompose(done -> {
            List<Long> next = new ArrayList<>();
            for (int i = 0; i < frontier.size(); i++) {
                long id = frontier.get(i);
                Optional<Task> task = reads.get(i).join();
                if (task.isEmpty()) {
                    if (first) {
                        return CompletableFuture.completedFuture(missing(id));
                    }
                    continue;
                }
                if (self == null) {
                    continue;
                }
                for (long n : task.get().dependsOn()) {
                    if (n == self) {
                        LinkedList<Long> path = new LinkedList<>(List.of(self));
                        for (long at = id; at != 0L; at = via.get(at)) {
                            path.addFirst(at);
                        }
                        path.addFirst(self);
                        return CompletableFuture.completedFuture(cycle(path));
                    }
                    if (!via.containsKey(n) && via.size() < MAX_TASKS) {
                        via.put(n, id);
                        next.add(n);
                    }
                }
            }
            return next.isEmpty() ? CompletableFuture.completedFuture(null) : level(self, next, via, false);
        });
    }

    /** The positive integer ids of {@code node}, each once; empty when it is not such an array. */
    private static List<Long> ids(JsonNode node) {
        Set<Long> ids = new LinkedHashSet<>();
        if (node == null || !node.isArray()) {
            return List.of();
        }
        for (JsonNode e : node) {
            if (!e.isIntegralNumber() || !e.canConvertToLong() || e.asLong() <= 0) {
                return List.of();
            }
            ids.add(e.asLong());
        }
        return ids.size() > 100 ? List.of() : List.copyOf(ids);
    }
}
