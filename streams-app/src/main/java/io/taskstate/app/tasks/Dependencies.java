package io.taskstate.app.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.client.internal.DependencyWalk;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Task dependencies on one partition. A task's {@code depends_on} lives with the task; the
 * reverse edges (which tasks wait for a dependency) live in {@link TaskStores#DEPENDENTS} on the
 * dependency's partition, so a dependency that completes, is reopened or is deleted tells exactly
 * its dependents. A dependent on the same partition is changed in the same step; one on another
 * partition hears it through a {@link CommandType#DEPENDENCY_STATUS} command sent inside the same
 * transaction, and registers itself with {@link CommandType#WATCH_DEPENDENCY}, which is answered
 * with the dependency's state at that moment. Messages between two partitions stay in order, so
 * the last one a dependent applies is the dependency's latest state; applying one twice changes
 * nothing, and a notice for a task that no longer depends on the sender is ignored.
 */
final class Dependencies {
    /** Most dependencies one task may have. */
    static final int MAX_DEPENDENCIES = 100;
    /** Most tasks the local cycle check reads before it gives up looking. */
    static final int MAX_WALK = 10_000;
    private static final int MAX_CAUSE_CHARS = 100;

    /** What a dependency's partition tells a dependent's about the dependency. */
    enum State {
        COMPLETED, OPEN, MISSING, DELETED;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Optional<State> parse(String wire) {
            for (State s : values()) {
                if (s.wire().equals(wire)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** Saves one change of a task the way {@link TaskHandler} does (store, indexes, snapshot). */
    interface Saver {
        void save(Task before, Task after);
    }

    private final int partitions;
    private final int partition;
    private final KeyValueStore<Long, Task> tasks;
    private final KeyValueStore<Bytes, byte[]> dependents;
    private final KeyValueStore<String, Long> sequence;
    private final Output out;
    private final Saver saver;
    private String cause = "";

    Dependencies(int partitions, int partition, KeyValueStore<Long, Task> tasks, KeyValueStore<Bytes, byte[]> dependents,
                 KeyValueStore<String, Long> sequence, Output out, Saver saver) {
        this.sequence = sequence;
        this.partitions = partitions;
        this.partition = partition;
        this.tasks = tasks;
        this.dependents = dependents;
        this.out = out;
        this.saver = saver;
    }

    /** The command being applied: the commands this class sends are named after it, so a replay sends the same ones. */
    void causedBy(String commandId) {
        this.cause = commandId.length() <= MAX_CAUSE_CHARS ? commandId
                : UUID.nameUUIDFromBytes(commandId.getBytes(StandardCharsets.UTF_8)).toString();
    }

    // ---- a create or update naming depends_on

    /** The ids of a {@code depends_on} field, in order, each once; {@code null} and absent mean none. */
    static List<Long> parse(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw Rejection.invalid("depends_on must be an array of task ids, e.g. [12, 15], got "
                    + node.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        if (node.size() > MAX_DEPENDENCIES) {
            throw Rejection.invalid("depends_on names " + node.size() + " tasks, at most " + MAX_DEPENDENCIES
                    + ": split the work into intermediate tasks");
        }
        Set<Long> ids = new LinkedHashSet<>();
        for (JsonNode element : node) {
            ids.add(TaskFields.taskId(element, "Each depends_on entry"));
        }
        return List.copyOf(ids);
    }

    /**
     * Refuses {@code dependsOn} for task {@code id}: itself, a task of this partition that does not
     * exist, or (for an existing task) one that leads back to it through this partition's tasks.
     * Tasks of other partitions are checked by their own partition when it is told of them.
     */
    void check(long id, List<Long> dependsOn, boolean existing) {
        for (long d : dependsOn) {
            if (d == id) {
                throw Rejection.invalid("Task " + id + " cannot depend on itself: remove " + id + " from depends_on");
            }
            if (owns(d) && tasks.get(d) == null) {
                throw Rejection.invalid(DependencyWalk.missing(d));
            }
        }
        if (existing) {
            List<Long> cycle = cycleThrough(id, dependsOn);
            if (cycle != null) {
                throw Rejection.invalid(DependencyWalk.cycle(cycle));
            }
        }
    }

    /** The path {@code id -> d -> ... -> id} if one of {@code dependsOn} leads back to {@code id} on this partition. */
    private List<Long> cycleThrough(long id, List<Long> dependsOn) {
        Map<Long, Long> via = new HashMap<>();
        Deque<Long> queue = new ArrayDeque<>();
        for (long d : dependsOn) {
            via.put(d, 0L);
            queue.add(d);
        }
        while (!queue.isEmpty() && via.size() < MAX_WALK) {
            long n = queue.poll();
            Task t = owns(n) ? tasks.get(n) : null;
            if (t == null) {
                continue;
            }
            for (long next : t.dependsOn()) {
                if (next == id) {
                    LinkedList<Long> path = new LinkedList<>(List.of(id));
                    for (long at = n; at != 0L; at = via.get(at)) {
                        path.addFirst(at);
                    }
                    path.addFirst(id);
                    return path;
                }
                if (!via.containsKey(next)) {
                    via.put(next, n);
                    queue.add(next);
                }
            }
        }
        return null;
    }

    /**
     * Which of {@code dependsOn} are not completed, for a task whose previous version is
     * {@code before} ({@code null} for a new task): a dependency it already had keeps its state, a
     * new one of this partition is read, a new one of another partition is open until its
     * partition answers.
     */
    List<Long> openOf(Task before, List<Long> dependsOn) {
        List<Long> open = new ArrayList<>();
        for (long d : dependsOn) {
            boolean isOpen;
            if (before != null && before.dependsOn().contains(d)) {
                isOpen = before.openDependencies().contains(d);
            } else if (owns(d)) {
                isOpen = tasks.get(d).status() != TaskStatus.COMPLETED;
            } else {
                isOpen = true;
            }
            if (isOpen) {
                open.add(d);
            }
        }
        return open;
    }

    /** Registers the dependencies {@code after} gained over {@code before} and drops those it lost. */
    void link(Task before, Task after) {
        List<Long> old = before == null ? List.of() : before.dependsOn();
        for (long d : old) {
            if (!after.dependsOn().contains(d)) {
                unlink(d, after.id());
            }
        }
        for (long d : after.dependsOn()) {
            if (!old.contains(d)) {
                if (owns(d)) {
                    dependents.put(edge(d, after.id()), new byte[0]);
                } else {
                    send(CommandType.WATCH_DEPENDENCY, "watch-dependency", d, after.id(), Long.toString(d), null);
                }
            }
        }
    }

    private void unlink(long d, long dependent) {
        if (owns(d)) {
            dependents.delete(edge(d, dependent));
        } else {
            send(CommandType.UNWATCH_DEPENDENCY, "unwatch-dependency", d, dependent, Long.toString(d), null);
        }
    }

    // ---- a dependency changes

    /** Called with every saved change: a task that became or stopped being completed, or was deleted, tells its dependents. */
    void saved(Task before, Task after) {
        if (before == null) {
            return;
        }
        if (after == null) {
            for (long d : before.dependsOn()) {
                unlink(d, before.id());
            }
            tellDependents(before, State.DELETED);
            return;
        }
        boolean was = before.status() == TaskStatus.COMPLETED;
        boolean is = after.status() == TaskStatus.COMPLETED;
        if (was != is) {
            tellDependents(after, is ? State.COMPLETED : State.OPEN);
        }
    }

    private void tellDependents(Task dependency, State state) {
        List<Bytes> edges = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = dependents.range(edge(dependency.id(), 0), edge(dependency.id(), Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> edges.add(kv.key));
        }
        for (Bytes e : edges) {
            long dependent = TaskIndex.dependentOfKey(e);
            if (state == State.DELETED) {
                dependents.delete(e);
            }
            if (owns(dependent)) {
                apply(dependency.id(), dependent, state, dependency.status().wire());
            } else {
                send(CommandType.DEPENDENCY_STATUS, "dependency-status", dependency.id(), dependent,
                        Long.toString(dependent), status(state, dependency.status().wire()));
            }
        }
    }

    // ---- the internal commands

    /** On the dependency's partition: a task elsewhere depends on it. Registers it and answers with the state now. */
    void watch(ObjectNode payload, String commandId) {
        long d = payload.path("dependency_id").asLong();
        long dependent = payload.path("dependent_id").asLong();
        if (!owns(d) || dependent <= 0) {
            return;
        }
        Task dependency = tasks.get(d);
        State state = dependency == null ? (handedOut(d) ? State.DELETED : State.MISSING)
                : dependency.status() == TaskStatus.COMPLETED ? State.COMPLETED : State.OPEN;
        if (dependency != null) {
            dependents.put(edge(d, dependent), new byte[0]);
        }
        ObjectNode p = edgePayload(d, dependent);
        p.setAll(status(state, dependency == null ? null : dependency.status().wire()));
        out.command(Long.toString(dependent), new Command("dependency-status:" + commandId, "taskstate",
                CommandType.DEPENDENCY_STATUS.wire(), null, p, null));
    }

    /**
     * Whether this partition ever handed out id {@code d}: ids are never reused, so one below the
     * next sequence number that is not in the store was deleted (before the watch arrived, say).
     */
    private boolean handedOut(long d) {
        return (d - 1) / partitions < Objects.requireNonNullElse(sequence.get(TaskStores.SEQUENCE_NEXT), 0L);
    }

    /** On the dependency's partition: a task elsewhere no longer depends on it. */
    void unwatch(ObjectNode payload) {
        long d = payload.path("dependency_id").asLong();
        long dependent = payload.path("dependent_id").asLong();
        if (owns(d) && dependent > 0) {
            dependents.delete(edge(d, dependent));
        }
    }

    /** On the dependent's partition: what became of one of its dependencies. */
    void status(ObjectNode payload) {
        long d = payload.path("dependency_id").asLong();
        long dependent = payload.path("dependent_id").asLong();
        Optional<State> state = State.parse(payload.path("state").asText());
        if (d > 0 && state.isPresent()) {
            apply(d, dependent, state.get(), payload.path("status").asText(null));
        }
    }

    /** Applies a dependency's state to one dependent of this partition; idempotent, and nothing if it no longer depends on it. */
    private void apply(long d, long dependentId, State state, String status) {
        Task t = owns(dependentId) ? tasks.get(dependentId) : null;
        if (t == null || !t.dependsOn().contains(d)) {
            return;
        }
        List<Long> dependsOn = t.dependsOn();
        Set<Long> open = new LinkedHashSet<>(t.openDependencies());
        String reason;
        switch (state) {
            case COMPLETED -> {
                if (!open.remove(d)) {
                    return;
                }
                reason = "Dependency " + d + " completed";
            }
            case OPEN -> {
                if (!open.add(d)) {
                    return;
                }
                reason = "Dependency " + d + " is " + (status == null ? "open" : status) + " again, no longer completed";
            }
            default -> {
                dependsOn = new ArrayList<>(dependsOn);
                dependsOn.remove(Long.valueOf(d));
                open.remove(d);
                reason = "Dependency " + d + (state == State.DELETED ? " was deleted" : " does not exist")
                        + "; removed from depends_on";
            }
        }
        List<Long> stillOpen = dependsOn.stream().filter(open::contains).toList();
        reason += stillOpen.isEmpty() ? ": ready" : "; waiting for " + ids(stillOpen);
        saver.save(t, t.withDependencies(dependsOn, stillOpen).withStatusReason(reason));
    }

    // ---- helpers

    private void send(CommandType type, String prefix, long d, long dependent, String routingKey, ObjectNode extra) {
        ObjectNode p = edgePayload(d, dependent);
        if (extra != null) {
            p.setAll(extra);
        }
        out.command(routingKey, new Command(prefix + ":" + cause + ":" + d + ":" + dependent, "taskstate",
                type.wire(), null, p, null));
    }

    private static ObjectNode edgePayload(long d, long dependent) {
        ObjectNode p = Json.object();
        p.put("dependency_id", d);
        p.put("dependent_id", dependent);
        return p;
    }

    private static ObjectNode status(State state, String status) {
        ObjectNode p = Json.object();
        p.put("state", state.wire());
        p.put("status", status);
        return p;
    }

    /** A reverse edge: {@code dependent} waits for {@code d} (see {@link TaskIndex#dependentKey}). */
    static Bytes edge(long d, long dependent) {
        return TaskIndex.dependentKey(d, dependent);
    }

    /** Task ids as a message lists them: {@code 9, 12}. */
    static String ids(List<Long> ids) {
        return String.join(", ", ids.stream().map(String::valueOf).toList());
    }

    private boolean owns(long id) {
        return id > 0 && Partitioning.partitionOfTask(id, partitions) == partition;
    }
}
