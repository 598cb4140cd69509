package io.taskstate.app.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.taskstate.client.TaskHistoryEntry;
import io.taskstate.client.TaskHistoryEntry.Change;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Task;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The bounded history of every task of one partition, in the {@link TaskStores#HISTORY} store:
 * key = task id then the entry's sequence number within the task (8 bytes big-endian each, so a
 * range scan yields one task's entries oldest first), value = the {@link TaskHistoryEntry} JSON.
 *
 * <p>Each change {@link TaskHandler} saves becomes one entry, charged to the command being applied
 * ({@link #begin}). The diff compares the two snapshots as JSON trees, so a field added to
 * {@link Task} is recorded without a change here. Only the newest {@code limit} entries of a task
 * are kept; a deleted task's history goes with it. A lease renewal right after another (a holder
 * heartbeating) replaces that entry instead of adding one, so renewals do not push the history out.
 */
public final class TaskHistory {
    private static final String UPDATED_AT = "updated_at";
    private static final Set<String> LEASE_FIELDS = Set.of("lease_expires_at", "lease_millis");

    /** The command being applied, which every change it makes is recorded against. */
    private record Cause(String commandId, String clientId, String type, Instant at) {
    }

    private final KeyValueStore<Bytes, byte[]> store;
    private final int limit;
    private Cause cause;
    private String reason;

    /** @param limit entries kept per task; 0 records none */
    TaskHistory(KeyValueStore<Bytes, byte[]> store, int limit) {
        this.store = store;
        this.limit = limit;
    }

    /** Starts applying {@code command} at {@code now}: the changes until the next call are its. */
    void begin(Command command, Instant now) {
        cause = new Cause(command.commandId(), command.clientId(), command.type(), now);
        reason = null;
    }

    /**
     * Says why the rest of the current command's changes happen, for a rule whose command does not
     * say it. Without one, an entry's reason is the task's new {@code status_reason}, if it got one.
     */
    void because(String why) {
        reason = why;
    }

    /** Records the change from {@code before} (null: created) to {@code after} (null: deleted, which forgets the history). */
    void record(Task before, Task after) {
        if (after == null) {
            forget(before.id());
            return;
        }
        if (limit == 0) {
            return;
        }
        Map<String, Change> changes = changes(before, after);
        if (changes.isEmpty()) {
            return;
        }
        if (cause == null) {
            throw new IllegalStateException("Task " + after.id() + " changed outside a command");
        }
        long id = after.id();
        String why = reason != null ? reason
                : after.statusReason() != null && (before == null || !after.statusReason().equals(before.statusReason()))
                ? after.statusReason() : null;
        KeyValue<Bytes, byte[]> last = last(id);
        if (last != null && LEASE_FIELDS.containsAll(changes.keySet())) {
            TaskHistoryEntry previous = Json.read(last.value, TaskHistoryEntry.class);
            if (LEASE_FIELDS.containsAll(previous.changes().keySet())) {
                Map<String, Change> folded = new LinkedHashMap<>(previous.changes());
                changes.forEach((field, c) -> folded.merge(field, c, (old, now) -> new Change(old.from(), now.to())));
                store.put(last.key, Json.bytes(entry(previous.seq(), after, why, folded)));
                return;
            }
        }
        long seq = last == null ? 1 : seqOf(last.key) + 1;
        store.put(key(id, seq), Json.bytes(entry(seq, after, why, changes)));
        if (seq > limit) {
            delete(store.range(key(id, 0), key(id, seq - limit)));
        }
    }

    /**
     * Up to {@code max} entries of task {@code id} after entry {@code afterSeq} (0: from the
     * oldest), oldest first.
     */
    public static List<TaskHistoryEntry> read(ReadOnlyKeyValueStore<Bytes, byte[]> store, long id, long afterSeq, int max) {
        List<TaskHistoryEntry> entries = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.range(key(id, afterSeq + 1), key(id, Long.MAX_VALUE))) {
            while (it.hasNext() && entries.size() < max) {
                entries.add(Json.read(it.next().value, TaskHistoryEntry.class));
            }
        }
        return entries;
    }

    /** The fields that differ, by name, {@code updated_at} aside; for a new task every field with a value. */
    static Map<String, Change> changes(Task before, Task after) {
        JsonNode from = before == null ? NullNode.getInstance() : Json.MAPPER.valueToTree(before);
        JsonNode to = Json.MAPPER.valueToTree(after);
        Set<String> fields = new LinkedHashSet<>();
        to.fieldNames().forEachRemaining(fields::add);
        from.fieldNames().forEachRemaining(fields::add);
        fields.remove(UPDATED_AT);
        Map<String, Change> changes = new LinkedHashMap<>();
        for (String field : fields) {
            JsonNode was = from.path(field).isMissingNode() ? NullNode.getInstance() : from.get(field);
            JsonNode is = to.path(field).isMissingNode() ? NullNode.getInstance() : to.get(field);
            if (before == null && (is.isNull() || (is.isContainerNode() && is.isEmpty()))) {
                continue;
            }
            if (!Objects.equals(was, is)) {
                changes.put(field, new Change(was, is));
            }
        }
        return changes;
    }

    private TaskHistoryEntry entry(long seq, Task after, String why, Map<String, Change> changes) {
        return new TaskHistoryEntry(seq, cause.at(), cause.commandId(), cause.clientId(), cause.type(), after.assignee(),
                why, changes);
    }

    private void forget(long id) {
        delete(store.range(key(id, 0), key(id, Long.MAX_VALUE)));
    }

    private void delete(KeyValueIterator<Bytes, byte[]> range) {
        List<Bytes> keys = new ArrayList<>();
        try (range) {
            range.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.forEach(store::delete);
    }

    private KeyValue<Bytes, byte[]> last(long id) {
        try (KeyValueIterator<Bytes, byte[]> it = store.reverseRange(key(id, 0), key(id, Long.MAX_VALUE))) {
            return it.hasNext() ? it.next() : null;
        }
    }

    static Bytes key(long id, long seq) {
        return Bytes.wrap(ByteBuffer.allocate(16).putLong(id).putLong(seq).array());
    }

    /** The task a key of the history store belongs to. */
    public static long idOf(Bytes key) {
        return ByteBuffer.wrap(key.get(), 0, 8).getLong();
    }

    private static long seqOf(Bytes key) {
        return ByteBuffer.wrap(key.get(), 8, 8).getLong();
    }
}
