package io.taskstate.app.tasks;

import io.taskstate.protocol.Task;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;

/**
 * Keys of the secondary index store. A key is a family byte, the indexed values (each length
 * prefixed, so any string is safe), then a sort key that orders newest first with ties broken by
 * the larger id: a forward scan of a prefix yields tasks in query order.
 */
public final class TaskIndex {
    /** What an index key is grouped by. */
    public enum Family {
        ALL, STATUS, STATUS_PRIORITY, PRIORITY, ASSIGNEE, PARENT;

        byte tag() {
            return (byte) (ordinal() + 1);
        }
    }

    static final int SORT_KEY_BYTES = 16;

    private TaskIndex() {
    }

    /** Every index key that {@code task} is listed under. */
    public static Set<Bytes> keysOf(Task task) {
        byte[] sort = sortKey(task.createdAt(), task.id());
        Set<Bytes> keys = new HashSet<>();
        keys.add(key(prefix(Family.ALL), sort));
        keys.add(key(prefix(Family.STATUS, task.status().wire()), sort));
        keys.add(key(prefix(Family.STATUS_PRIORITY, task.status().wire(), task.priority().wire()), sort));
        keys.add(key(prefix(Family.PRIORITY, task.priority().wire()), sort));
        if (task.assignee() != null) {
            keys.add(key(prefix(Family.ASSIGNEE, task.assignee()), sort));
        }
        keys.add(key(prefix(Family.PARENT, task.parentTaskId() == null ? "" : task.parentTaskId().toString()), sort));
        return keys;
    }

    /** The prefix shared by every key of {@code family} with these values. */
    public static byte[] prefix(Family family, String... values) {
        byte[][] encoded = new byte[values.length][];
        int size = 1;
        for (int i = 0; i < values.length; i++) {
            encoded[i] = values[i].getBytes(StandardCharsets.UTF_8);
            size += 4 + encoded[i].length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).put(family.tag());
        for (byte[] e : encoded) {
            b.putInt(e.length).put(e);
        }
        return b.array();
    }

    /** Newest first, then larger id first, as unsigned big-endian bytes. */
    public static byte[] sortKey(Instant createdAt, long id) {
        return ByteBuffer.allocate(SORT_KEY_BYTES)
                .putLong(Long.MAX_VALUE - createdAt.toEpochMilli())
                .putLong(Long.MAX_VALUE - id)
                .array();
    }

    /** The largest key under {@code prefix}: the end of a range scan. */
    public static Bytes end(byte[] prefix) {
        byte[] tail = new byte[SORT_KEY_BYTES];
        Arrays.fill(tail, (byte) 0xFF);
        return key(prefix, tail);
    }

    public static Bytes key(byte[] prefix, byte[] sortKey) {
        return Bytes.wrap(ByteBuffer.allocate(prefix.length + sortKey.length).put(prefix).put(sortKey).array());
    }

    /** The task id at the end of an index key. */
    public static long idOf(Bytes key) {
        byte[] k = key.get();
        return Long.MAX_VALUE - ByteBuffer.wrap(k, k.length - 8, 8).getLong();
    }
}
