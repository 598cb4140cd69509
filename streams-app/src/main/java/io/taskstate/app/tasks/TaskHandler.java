package io.taskstate.app.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The task rules of one partition: create, update, delete, and the task side of instance changes.
 * Every change of a task goes through {@link #save}, which keeps the indexes and the snapshot topic
 * in step with the task store.
 */
final class TaskHandler {
    private static final String SEQUENCE_KEY = TaskStores.SEQUENCE_NEXT;
    /** Numbers are equal by value: the stored task has long ids, a parsed {@code expect} has ints. */
    private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> (a.equals(b)
            || (a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0)) ? 0 : 1;

    private final int partitions;
    private final int partition;
    private final KeyValueStore<Long, Task> tasks;
    private final KeyValueStore<Bytes, byte[]> index;
    private final NavigableMap<Bytes, ClaimQueues.Outline> claimQueue;
    private final KeyValueStore<String, Long> sequence;
    private final KeyValueStore<Bytes, byte[]> leases;
    private final Output out;
    private final Dependencies dependencies;
    private final TaskHistory history;
    private final TaskStats stats;

    /**
     * @param claimQueue the partition's {@link ClaimQueues} mirror, changed with the claim keys of {@code index}
     * @param dependents the reverse edges of {@link Dependencies}
     */
    TaskHandler(int partitions, int partition, KeyValueStore<Long, Task> tasks, KeyValueStore<Bytes, byte[]> index,
                KeyValueStore<String, Long> sequence, KeyValueStore<Bytes, byte[]> leases, NavigableMap<Bytes, ClaimQueues.Outline> claimQueue,
                KeyValueStore<Bytes, byte[]> dependents, Output out, TaskHistory history, TaskStats stats) {
        this.history = history;
        this.stats = stats;
        this.claimQueue = claimQueue;
        this.partitions = partitions;
        this.partition = partition;
        this.tasks = tasks;
        this.index = index;
        this.sequence = sequence;
        this.leases = leases;
        this.out = out;
        this.dependencies = new Dependencies(partitions, partition, tasks, dependents, sequence, out, this::save);
    }

    /** The dependency rules of this partition, for the internal commands that carry them between partitions. */
    Dependencies dependencies() {
        return dependencies;
    }

    Task create(Command command, Instant now) {
        if (command.expect() != null && !command.expect().isEmpty()) {
            throw Rejection.invalid("expect applies to updates and deletes; a new task has nothing to compare with");
        }
        ObjectNode fields = command.payload();
        TaskFields.requireKnown(fields);
        String title = TaskFields.title(fields.get("title"));
        String description = TaskFields.description(fields.get("description"));
        TaskStatus status = TaskFields.status(fields.get("status"), TaskStatus.PENDING);
        Priority priority = TaskFields.priority(fields.get("priority"), Priority.MEDIUM);
        String assignee = TaskFields.assignee(fields.get("assignee"));
        Long parentId = TaskFields.parentTaskId(fields.get("parent_task_id"));
        ObjectNode metadata = TaskFields.metadata(fields.get("metadata"));
        Task parent = parentId == null ? null : requireParent(parentId, null);
        List<Long> dependsOn = Dependencies.parse(fields.get("depends_on"));

        long seq = Objects.requireNonNullElse(sequence.get(SEQUENCE_KEY), 0L);
        long id = Partitioning.taskId(seq, partition, partitions);
        dependencies.check(id, dependsOn, false);
        sequence.put(SEQUENCE_KEY, seq + 1);

        Task task = new Task(id, title, description, status, priority, assignee, parentId, List.of(), metadata,
                now, now, status == TaskStatus.COMPLETED ? now : null, null)
                .withDependencies(dependsOn, dependencies.openOf(null, dependsOn));
        save(null, task);
        dependencies.link(null, task);
        if (parent != null) {
            save(parent, withSubtasks(parent, append(parent.subtaskIds(), id)));
        }
        return task;
    }

    Task update(Command command, Instant now) {
        Task current = requireTask(command.taskId());
        ObjectNode fields = command.payload();
        if (fields.isEmpty()) {
            throw Rejection.invalid("No valid fields to update");
        }
        TaskFields.requireKnown(fields);
        checkExpect(current, command.expect());

        String title = fields.has("title") ? TaskFields.title(fields.get("title")) : current.title();
        String description = fields.has("description") ? TaskFields.description(fields.get("description")) : current.description();
        TaskStatus status = TaskFields.status(fields.get("status"), current.status());
        Priority priority = TaskFields.priority(fields.get("priority"), current.priority());
        String assignee = fields.has("assignee") ? TaskFields.assignee(fields.get("assignee")) : current.assignee();
        ObjectNode metadata = fields.has("metadata") ? TaskFields.metadata(fields.get("metadata")) : current.metadata();
        Long parentId = fields.has("parent_task_id") ? TaskFields.parentTaskId(fields.get("parent_task_id")) : current.parentTaskId();
        Instant completedAt = status != TaskStatus.COMPLETED ? null
                : current.status() == TaskStatus.COMPLETED ? current.completedAt() : now;
        String statusReason = status == current.status() ? current.statusReason() : null;
        List<Long> dependsOn = fields.has("depends_on") ? Dependencies.parse(fields.get("depends_on")) : current.dependsOn();
        if (fields.has("depends_on")) {
            dependencies.check(current.id(), dependsOn, true);
        }

        Task oldParent = null;
        Task newParent = null;
        if (!Objects.equals(parentId, current.parentTaskId())) {
            if (parentId != null) {
                newParent = requireParent(parentId, current);
            }
            if (current.parentTaskId() != null) {
                oldParent = tasks.get(current.parentTaskId());
            }
        }
        boolean leased = status == TaskStatus.IN_PROGRESS && current.status() == TaskStatus.IN_PROGRESS;
        Task updated = new Task(current.id(), title, description, status, priority, assignee, parentId,
                current.subtaskIds(), metadata, current.createdAt(), now, completedAt, statusReason,
                leased ? current.leaseExpiresAt() : null, leased ? current.leaseMillis() : null)
                .withDependencies(dependsOn, dependencies.openOf(current, dependsOn));
        save(current, updated);
        dependencies.link(current, updated);
        // read again: the save may have changed them (a parent that depends on a task just completed)
        oldParent = oldParent == null ? null : tasks.get(oldParent.id());
        newParent = newParent == null ? null : tasks.get(newParent.id());
        if (oldParent != null) {
            save(oldParent, withSubtasks(oldParent, without(oldParent.subtaskIds(), current.id())));
        }
        if (newParent != null) {
            save(newParent, withSubtasks(newParent, append(newParent.subtaskIds(), current.id())));
        }
        return updated;
    }

    /** Deletes the task and every descendant, and tells every partition that no instance may point at them. */
    JsonNode delete(Command command) {
        Task root = requireTask(command.taskId());
        checkExpect(root, command.expect());
        List<Long> deleted = new ArrayList<>();
        Deque<Long> pending = new ArrayDeque<>(List.of(root.id()));
        while (!pending.isEmpty()) {
            Task task = tasks.get(pending.pop());
            if (task == null) {
                continue;
            }
            deleted.add(task.id());
            pending.addAll(task.subtaskIds());
            save(task, null);
        }
        if (root.parentTaskId() != null) {
            Task parent = tasks.get(root.parentTaskId());
            if (parent != null) {
                save(parent, withSubtasks(parent, without(parent.subtaskIds(), root.id())));
            }
        }
        ObjectNode result = Json.object();
        result.put("success", true);
        result.set("deleted_task", Json.MAPPER.valueToTree(root));
        ArrayNode ids = result.putArray("deleted_ids");
        deleted.forEach(ids::add);

        ObjectNode clear = Json.object();
        clear.set("task_ids", ids.deepCopy());
        out.command(Partitioning.ALL_PARTITIONS, new Command("clear-current-task:" + command.commandId(),
                command.clientId(), CommandType.CLEAR_CURRENT_TASK.wire(), null, clear, null));
        return result;
    }

    /** Takes a pending task for {@code assignee}, optionally under a lease; the holder's instance learns its current task. */
    Task claim(Command command, Instant now) {
        Task task = requireTask(command.taskId());
        ObjectNode p = command.payload();
        ClaimFields.requireKnown(p, "assignee", "lease_seconds");
        String assignee = ClaimFields.claimant(p.get("assignee"));
        Long leaseMillis = ClaimFields.leaseMillis(p.get("lease_seconds"));
        checkExpect(task, command.expect());
        if (task.status() != TaskStatus.PENDING) {
            throw Rejection.conflict("Task " + task.id() + " is " + task.status().wire()
                    + (task.assignee() == null ? "" : ", held by " + task.assignee())
                    + "; only a pending task can be claimed");
        }
        if (!task.ready()) {
            throw Rejection.conflict("Task " + task.id() + " is waiting for its dependencies: "
                    + Dependencies.ids(task.openDependencies()) + " not completed yet; it can be claimed once they are");
        }
        Task claimed = task.moved(TaskStatus.IN_PROGRESS, assignee, now, null,
                leaseMillis == null ? null : now.plusMillis(leaseMillis), leaseMillis);
        save(task, claimed);
        tellInstance(command.commandId(), assignee, task.id(), null);
        return claimed;
    }

    /** The holder, or anyone when forced, hands an in-progress task back to pending. */
    Task release(Command command, Instant now) {
        Task task = requireTask(command.taskId());
        ObjectNode p = command.payload();
        ClaimFields.requireKnown(p, "assignee", "force");
        String assignee = ClaimFields.assignee(p.get("assignee"));
        boolean force = ClaimFields.force(p.get("force"));
        if (task.status() != TaskStatus.IN_PROGRESS) {
            throw Rejection.conflict("Task " + task.id() + " is " + task.status().wire() + "; only an in-progress task can be released");
        }
        requireHolder(task, assignee, force, "release");
        Task released = task.moved(TaskStatus.PENDING, null, now, null, null, null);
        save(task, released);
        tellInstance(command.commandId(), task.assignee(), null, task.id());
        return released;
    }

    /** The holder, or anyone when forced, completes a task; given metadata is merged into the task's. */
    Task complete(Command command, Instant now) {
        Task task = requireTask(command.taskId());
        ObjectNode p = command.payload();
        ClaimFields.requireKnown(p, "assignee", "metadata", "force");
        String assignee = ClaimFields.assignee(p.get("assignee"));
        boolean force = ClaimFields.force(p.get("force"));
        ObjectNode extra = p.has("metadata") ? TaskFields.metadata(p.get("metadata")) : Json.object();
        if (task.status() == TaskStatus.COMPLETED) {
            throw Rejection.conflict("Task " + task.id() + " is already completed");
        }
        if (task.status() == TaskStatus.IN_PROGRESS) {
            requireHolder(task, assignee, force, "complete");
        } else if (!force) {
            throw Rejection.conflict("Task " + task.id() + " is " + task.status().wire()
                    + ", not in progress; claim it first, or pass force=true to complete it anyway");
        }
        ObjectNode metadata = task.metadata().deepCopy();
        metadata.setAll(extra);
        TaskFields.metadata(metadata);
        Task completed = task.moved(TaskStatus.COMPLETED, task.assignee() == null ? assignee : task.assignee(), now,
                null, null, null).withMetadata(metadata, now);
        save(task, completed);
        if (task.assignee() != null) {
            tellInstance(command.commandId(), task.assignee(), null, task.id());
        }
        return completed;
    }

    /**
     * Extends the holder's lease by its length (or a new one). From a heartbeat ({@code quiet}),
     * a task that is not the sender's or has no lease is left alone without complaint.
     */
    Task renew(Command command, Instant now, boolean quiet) {
        Task task = quiet ? (ownsId(command.taskId()) ? tasks.get(command.taskId()) : null) : requireTask(command.taskId());
        ObjectNode p = command.payload();
        String assignee = quiet ? p.path("assignee").asText() : ClaimFields.assignee(p.get("assignee"));
        // A heartbeat stamped before the last renewal (clocks differ, topics interleave) must not shorten the lease.
        if (quiet && (task == null || task.status() != TaskStatus.IN_PROGRESS || task.leaseMillis() == null
                || !assignee.equals(task.assignee())
                || !now.plusMillis(task.leaseMillis()).isAfter(task.leaseExpiresAt()))) {
            return null;
        }
        ClaimFields.requireKnown(p, "assignee", "lease_seconds");
        Long given = ClaimFields.leaseMillis(p.get("lease_seconds"));
        Long length = given != null ? given : task.leaseMillis();
        if (task.status() != TaskStatus.IN_PROGRESS) {
            throw Rejection.conflict("Task " + task.id() + " is " + task.status().wire() + "; only an in-progress task has a lease");
        }
        if (!assignee.equals(task.assignee())) {
            throw Rejection.conflict("Task " + task.id() + " is held by " + task.assignee() + ", not " + assignee
                    + "; only the holder may renew its lease");
        }
        if (length == null) {
            throw Rejection.conflict("Task " + task.id() + " was claimed without a lease; claim with lease_seconds to use one");
        }
        Task renewed = task.moved(TaskStatus.IN_PROGRESS, task.assignee(), now, null, now.plusMillis(length), length);
        save(task, renewed);
        return renewed;
    }

    /** Whether a lease of this partition ran out by {@code now}. */
    boolean anyLeaseDue(Instant now) {
        try (KeyValueIterator<Bytes, byte[]> it = leases.all()) {
            return it.hasNext() && !TaskIndex.expiryOfLeaseKey(it.next().key).isAfter(now);
        }
    }

    /** Hands back every task whose lease ran out by {@code now}, the way an expired instance's are. */
    void expireLeases(Instant now, String causeId) {
        List<Bytes> due = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = leases.range(TaskIndex.leaseKey(Instant.EPOCH, 0),
                TaskIndex.leaseKey(now, Long.MAX_VALUE))) {
            it.forEachRemaining(kv -> due.add(kv.key));
        }
        for (Bytes key : due) {
            Task task = tasks.get(TaskIndex.idOfLeaseKey(key));
            // Keys hold milliseconds, a lease end may have microseconds: compare keys, not instants.
            if (task == null || task.leaseExpiresAt() == null || !key.equals(TaskIndex.leaseKey(task.leaseExpiresAt(), task.id()))) {
                leases.delete(key);
                continue;
            }
            Task released = task.moved(TaskStatus.PENDING, null, now, "Lease of " + task.assignee() + " expired at "
                    + task.leaseExpiresAt() + " without renewal", null, null);
            save(task, released);
            tellInstance(causeId + ":" + task.id(), task.assignee(), null, task.id());
        }
    }

    private void requireHolder(Task task, String assignee, boolean force, String action) {
        if (!force && !assignee.equals(task.assignee())) {
            throw Rejection.conflict("Task " + task.id() + " is held by " + task.assignee() + ", not " + assignee
                    + "; only the holder may " + action + " it (pass force=true to override)");
        }
    }

    /** Tells the instance {@code instanceId} the task it now holds, or that it no longer holds {@code releasedId}. */
    private void tellInstance(String causeId, String instanceId, Long heldId, Long releasedId) {
        if (instanceId == null) {
            return;
        }
        ObjectNode p = Json.object();
        p.put("instance_id", instanceId);
        p.put("task_id", heldId);
        p.put("only_if_task_id", releasedId);
        out.command(Partitioning.routingKey(Partitioning.partitionOfKey(instanceId, partitions)),
                new Command("current-task:" + causeId, "taskstate", CommandType.SET_CURRENT_TASK.wire(), null, p, null));
    }

    /** Checks that an instance may point at task {@code id}: "Task N does not exist" otherwise. */
    void requireExists(long id) {
        if (!ownsId(id) || tasks.get(id) == null) {
            throw Rejection.invalid("Task " + id + " does not exist");
        }
    }

    /**
     * Hands back the in-progress tasks of an expired instance that it last touched before it
     * expired. Idempotent: a task already handed back is no longer in progress under that assignee.
     */
    void releaseExpired(String instanceId, Instant expiredAt, ExpiryPolicy policy, String reason) {
        List<Task> held = new ArrayList<>();
        byte[] prefix = TaskIndex.prefix(TaskIndex.Family.ASSIGNEE, instanceId);
        try (KeyValueIterator<Bytes, byte[]> it = index.range(TaskIndex.key(prefix, new byte[0]), TaskIndex.end(prefix))) {
            it.forEachRemaining(kv -> {
                Task task = tasks.get(TaskIndex.idOf(kv.key));
                if (task != null && task.status() == TaskStatus.IN_PROGRESS && !task.updatedAt().isAfter(expiredAt)) {
                    held.add(task);
                }
            });
        }
        for (Task t : held) {
            Task after = switch (policy) {
                case RELEASE -> new Task(t.id(), t.title(), t.description(), TaskStatus.PENDING, t.priority(), null,
                        t.parentTaskId(), t.subtaskIds(), t.metadata(), t.createdAt(), expiredAt, null, reason).withDependenciesOf(t);
                case BLOCK -> new Task(t.id(), t.title(), t.description(), TaskStatus.BLOCKED, t.priority(), t.assignee(),
                        t.parentTaskId(), t.subtaskIds(), t.metadata(), t.createdAt(), expiredAt, null, reason).withDependenciesOf(t);
                case KEEP -> t;
            };
            if (after != t) {
                save(t, after);
            }
        }
    }

    private Task requireTask(Long id) {
        if (id == null || id <= 0) {
            throw Rejection.invalid("A task id is required: give a positive integer");
        }
        Task task = ownsId(id) ? tasks.get(id) : null;
        if (task == null) {
            throw Rejection.notFound("Task " + id + " not found");
        }
        return task;
    }

    /** The parent to attach {@code child} (null for a new task) to, refusing moves across partitions and cycles. */
    private Task requireParent(long parentId, Task child) {
        if (!ownsId(parentId)) {
            throw Rejection.invalid(child == null
                    ? "Parent task " + parentId + " lives on partition " + Partitioning.partitionOfTask(parentId, partitions)
                      + ", not " + partition + ": send a subtask's create keyed by its parent id"
                    : "Task " + child.id() + " cannot move under task " + parentId + ": a task's id fixes its partition ("
                      + partition + ") and task " + parentId + " lives on partition "
                      + Partitioning.partitionOfTask(parentId, partitions) + "; create the task anew under the new parent instead");
        }
        Task parent = tasks.get(parentId);
        if (parent == null) {
            throw Rejection.invalid("Parent task " + parentId + " does not exist");
        }
        if (child != null && parentId == child.id()) {
            throw Rejection.invalid("Task " + child.id() + " cannot be its own parent");
        }
        if (child != null) {
            for (Task t = parent; t != null; t = t.parentTaskId() == null ? null : tasks.get(t.parentTaskId())) {
                if (t.id() == child.id()) {
                    throw Rejection.invalid("Task " + child.id() + " cannot move under task " + parentId
                            + ": task " + parentId + " is itself a subtask of " + child.id() + " (that would make a cycle)");
                }
            }
        }
        return parent;
    }

    private boolean ownsId(Long id) {
        return id != null && ownsId(id.longValue());
    }

    private boolean ownsId(long id) {
        return id > 0 && Partitioning.partitionOfTask(id, partitions) == partition;
    }

    private static void checkExpect(Task current, ObjectNode expect) {
        if (expect == null || expect.isEmpty()) {
            return;
        }
        ObjectNode actual = Json.MAPPER.valueToTree(current);
        List<String> mismatches = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = expect.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!actual.has(e.getKey())) {
                throw Rejection.invalid("Invalid expect field: " + Rejection.shown(e.getKey()));
            }
            if (!actual.get(e.getKey()).equals(SAME_VALUE, e.getValue())) {
                mismatches.add(e.getKey() + " is " + Rejection.shown(actual.get(e.getKey())) + ", expected " + Rejection.shown(e.getValue()));
            }
        }
        if (!mismatches.isEmpty()) {
            throw Rejection.conflict("Task " + current.id() + " does not match expect: " + String.join("; ", mismatches)
                    + " (status " + current.status().wire() + ", assignee " + current.assignee() + ")");
        }
    }

    /** Writes one change of one task: primary store, index diff, history, snapshot and event. {@code after == null} deletes. */
    private void save(Task before, Task after) {
        stats.apply(before, after);
        Set<Bytes> oldKeys = before == null ? Set.of() : TaskIndex.keysOf(before);
        Set<Bytes> newKeys = after == null ? Set.of() : TaskIndex.keysOf(after);
        for (Bytes k : oldKeys) {
            if (!newKeys.contains(k)) {
                index.delete(k);
                if (ClaimQueues.isClaimKey(k)) {
                    claimQueue.remove(k);
                }
            }
        }
        Bytes claimKey = null;
        for (Bytes k : newKeys) {
            if (ClaimQueues.isClaimKey(k)) {
                claimKey = k;
            }
            if (!oldKeys.contains(k)) {
                index.put(k, new byte[0]);
            }
        }
        long id = after != null ? after.id() : before.id();
        Instant oldLease = before == null ? null : before.leaseExpiresAt();
        Instant newLease = after == null ? null : after.leaseExpiresAt();
        if (!Objects.equals(oldLease, newLease)) {
            if (oldLease != null) {
                leases.delete(TaskIndex.leaseKey(oldLease, id));
            }
            if (newLease != null) {
                leases.put(TaskIndex.leaseKey(newLease, id), new byte[0]);
            }
        }
        if (after == null) {
            tasks.delete(id);
        } else {
            tasks.put(id, after);
        }
        if (claimKey != null) {
            claimQueue.put(claimKey, ClaimQueues.Outline.of(after)); // after the store: see ClaimQueues.learn
        }
        history.record(before, after);
        out.task(id, after);
        dependencies.saved(before, after);
        out.taskEvent(before, after);
    }

    private static Task withSubtasks(Task t, List<Long> subtaskIds) {
        return new Task(t.id(), t.title(), t.description(), t.status(), t.priority(), t.assignee(), t.parentTaskId(),
                subtaskIds, t.metadata(), t.createdAt(), t.updatedAt(), t.completedAt(), t.statusReason(),
                t.leaseExpiresAt(), t.leaseMillis()).withDependenciesOf(t);
    }

    private static List<Long> append(List<Long> ids, long id) {
        List<Long> out = new ArrayList<>(ids);
        out.add(id);
        return out;
    }

    private static List<Long> without(List<Long> ids, long id) {
        List<Long> out = new ArrayList<>(ids);
        out.remove(Long.valueOf(id));
        return out;
    }
}
