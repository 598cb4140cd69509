package io.taskstate.app.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Applies task commands of one partition. Each command is validated against the current state
 * and applied in one step: task store, indexes, id sequence, dedup entry, snapshot and reply are
 * all written inside the same exactly-once transaction.
 *
 * <p>Processing is deterministic: the time of a change is the command record's timestamp, never
 * the wall clock, so re-processing a command after an aborted transaction yields the same ids,
 * state and reply. The SDK relies on that to read replies before they commit (see the README).
 */
final class TaskCommandProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final String SEQUENCE_KEY = "next";
    private static final Duration DEDUP_SWEEP = Duration.ofMinutes(1);
    /** Numbers are equal by value: the stored task has long ids, a parsed {@code expect} has ints. */
    private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> (a.equals(b)
            || (a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0)) ? 0 : 1;

    private final int partitions;
    private final Duration dedupRetention;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, Task> tasks;
    private KeyValueStore<Bytes, byte[]> index;
    private KeyValueStore<String, Long> sequence;
    private KeyValueStore<String, byte[]> dedup;
    private KeyValueStore<Bytes, byte[]> dedupExpiry;
    /** The timestamp of the command being processed: the time of every change it makes. */
    private long commandTime;

    TaskCommandProcessor(int partitions, Duration dedupRetention) {
        this.partitions = partitions;
        this.dedupRetention = dedupRetention;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.tasks = context.getStateStore(TaskStores.TASKS);
        this.index = context.getStateStore(TaskStores.TASK_INDEX);
        this.sequence = context.getStateStore(TaskStores.SEQUENCE);
        this.dedup = context.getStateStore(TaskStores.DEDUP);
        this.dedupExpiry = context.getStateStore(TaskStores.DEDUP_EXPIRY);
        context.schedule(DEDUP_SWEEP, PunctuationType.STREAM_TIME, this::expireDedup);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Command command;
        CommandType type;
        try {
            command = parse(record.value());
            type = CommandType.parse(command.type()).orElseThrow(
                    () -> new IllegalArgumentException("unknown command type '" + command.type() + "'"));
        } catch (IllegalArgumentException e) {
            TopologyBuilder.deadLetter(context, record, e.getMessage());
            replyToUnreadable(record, e.getMessage());
            return;
        }
        commandTime = record.timestamp();
        byte[] previous = dedup.get(command.commandId());
        if (previous != null) {
            reply(Json.read(previous, Reply.class).to(command.clientId()));
            return;
        }
        Instant now = Instant.ofEpochMilli(record.timestamp());
        Reply reply;
        try {
            reply = Reply.ok(command, switch (type) {
                case CREATE_TASK -> Json.MAPPER.valueToTree(create(command, now));
                case UPDATE_TASK -> Json.MAPPER.valueToTree(update(command, now));
                case DELETE_TASK -> delete(command);
            });
        } catch (Rejection r) {
            reply = Reply.failed(command, r.outcome, r.getMessage());
        }
        remember(command.commandId(), record.timestamp(), reply);
        reply(reply);
    }

    /** A dead-lettered command that still names its sender is answered, so the caller need not wait for a timeout. */
    private void replyToUnreadable(Record<byte[], byte[]> record, String reason) {
        JsonNode tree;
        try {
            tree = Json.tree(record.value());
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (tree != null && tree.path("command_id").isTextual() && tree.path("client_id").isTextual()
                && !tree.path("command_id").asText().isEmpty() && !tree.path("client_id").asText().isEmpty()) {
            commandTime = record.timestamp();
            reply(new Reply(tree.path("command_id").asText(), tree.path("client_id").asText(), Outcome.INVALID,
                    "Unreadable command (" + reason + "); it went to the dead-letter topic and changed nothing", null));
        }
    }

    private static Command parse(byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("empty record: a command needs a JSON envelope");
        }
        JsonNode tree;
        try {
            tree = Json.tree(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("a command envelope must be a JSON object");
        }
        for (String required : List.of("command_id", "client_id", "type")) {
            if (!tree.path(required).isTextual() || tree.path(required).asText().isEmpty()) {
                throw new IllegalArgumentException("envelope field '" + required + "' must be a non-empty string");
            }
        }
        JsonNode payload = tree.get("payload");
        if (payload != null && !payload.isNull() && !payload.isObject()) {
            throw new IllegalArgumentException("envelope field 'payload' must be an object");
        }
        JsonNode expect = tree.get("expect");
        if (expect != null && !expect.isNull() && !expect.isObject()) {
            throw new IllegalArgumentException("envelope field 'expect' must be an object");
        }
        JsonNode taskId = tree.get("task_id");
        if (taskId != null && !taskId.isNull() && !(taskId.isIntegralNumber() && taskId.canConvertToLong())) {
            throw new IllegalArgumentException("envelope field 'task_id' must be an integer");
        }
        try {
            return Json.MAPPER.treeToValue(tree, Command.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable envelope: " + e.getMessage());
        }
    }

    private Task create(Command command, Instant now) {
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

        int partition = context.recordMetadata().orElseThrow().partition();
        long seq = Objects.requireNonNullElse(sequence.get(SEQUENCE_KEY), 0L);
        long id = Partitioning.taskId(seq, partition, partitions);
        sequence.put(SEQUENCE_KEY, seq + 1);

        Task task = new Task(id, title, description, status, priority, assignee, parentId, List.of(), metadata,
                now, now, status == TaskStatus.COMPLETED ? now : null);
        save(null, task);
        if (parent != null) {
            save(parent, withSubtasks(parent, append(parent.subtaskIds(), id)));
        }
        return task;
    }

    private Task update(Command command, Instant now) {
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
        Task updated = new Task(current.id(), title, description, status, priority, assignee, parentId,
                current.subtaskIds(), metadata, current.createdAt(), now, completedAt);
        save(current, updated);
        if (oldParent != null) {
            save(oldParent, withSubtasks(oldParent, without(oldParent.subtaskIds(), current.id())));
        }
        if (newParent != null) {
            save(newParent, withSubtasks(newParent, append(newParent.subtaskIds(), current.id())));
        }
        return updated;
    }

    private JsonNode delete(Command command) {
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
        return result;
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
        int here = context.recordMetadata().orElseThrow().partition();
        if (!ownsId(parentId)) {
            throw Rejection.invalid(child == null
                    ? "Parent task " + parentId + " lives on partition " + Partitioning.partitionOfTask(parentId, partitions)
                      + ", not " + here + ": send a subtask's create keyed by its parent id"
                    : "Task " + child.id() + " cannot move under task " + parentId + ": a task's id fixes its partition ("
                      + here + ") and task " + parentId + " lives on partition "
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

    private boolean ownsId(long id) {
        return Partitioning.partitionOfTask(id, partitions) == context.recordMetadata().orElseThrow().partition();
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
                throw Rejection.invalid("Invalid expect field: " + e.getKey());
            }
            if (!actual.get(e.getKey()).equals(SAME_VALUE, e.getValue())) {
                mismatches.add(e.getKey() + " is " + actual.get(e.getKey()) + ", expected " + e.getValue());
            }
        }
        if (!mismatches.isEmpty()) {
            throw Rejection.conflict("Task " + current.id() + " does not match expect: " + String.join("; ", mismatches)
                    + " (status " + current.status().wire() + ", assignee " + current.assignee() + ")");
        }
    }

    /** Writes one change of one task: primary store, index diff and snapshot. {@code after == null} deletes. */
    private void save(Task before, Task after) {
        Set<Bytes> oldKeys = before == null ? Set.of() : TaskIndex.keysOf(before);
        Set<Bytes> newKeys = after == null ? Set.of() : TaskIndex.keysOf(after);
        for (Bytes k : oldKeys) {
            if (!newKeys.contains(k)) {
                index.delete(k);
            }
        }
        for (Bytes k : newKeys) {
            if (!oldKeys.contains(k)) {
                index.put(k, new byte[0]);
            }
        }
        long id = after != null ? after.id() : before.id();
        if (after == null) {
            tasks.delete(id);
        } else {
            tasks.put(id, after);
        }
        context.forward(new Record<>(Long.toString(id).getBytes(StandardCharsets.UTF_8),
                after == null ? null : Json.bytes(after), commandTime), TopologyBuilder.TASKS_SINK);
    }

    private void reply(Reply reply) {
        context.forward(new Record<>(reply.clientId().getBytes(StandardCharsets.UTF_8), Json.bytes(reply),
                commandTime), TopologyBuilder.REPLIES_SINK);
    }

    private void remember(String commandId, long timestamp, Reply reply) {
        dedup.put(commandId, Json.bytes(reply));
        dedupExpiry.put(expiryKey(timestamp, commandId), new byte[0]);
    }

    private void expireDedup(long streamTime) {
        Bytes until = expiryKey(streamTime - dedupRetention.toMillis(), "");
        List<Bytes> expired = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = dedupExpiry.range(expiryKey(0, ""), until)) {
            it.forEachRemaining((KeyValue<Bytes, byte[]> kv) -> expired.add(kv.key));
        }
        for (Bytes key : expired) {
            dedupExpiry.delete(key);
            dedup.delete(new String(key.get(), 8, key.get().length - 8, StandardCharsets.UTF_8));
        }
    }

    private static Bytes expiryKey(long timestamp, String commandId) {
        byte[] id = commandId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(Math.max(0, timestamp)).put(id).array());
    }

    private static Task withSubtasks(Task t, List<Long> subtaskIds) {
        return new Task(t.id(), t.title(), t.description(), t.status(), t.priority(), t.assignee(), t.parentTaskId(),
                subtaskIds, t.metadata(), t.createdAt(), t.updatedAt(), t.completedAt());
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
