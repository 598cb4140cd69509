package io.taskstate.app.tasks;

import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
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
        ALL, STATUS, STATUS_PRIORITY, PRIORITY, ASSIGNEE, PARENT,
        /** Pending tasks whose dependencies are completed, in the order {@code claim_next} takes them: see {@link #claimKey}. */
        CLAIM;

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
        if (task.status() == TaskStatus.PENDING && task.ready()) {
            keys.add(claimKey(task));
        }
        return keys;
    }

    /** Pending tasks best first: priority critical to low, then oldest, then smallest id. */
    public static Bytes claimKey(Task task) {
        return Bytes.wrap(ByteBuffer.allocate(CLAIM_PREFIX_BYTES + 8 + 8).put(claimPrefix(task.priority()))
                .putLong(micros(task.createdAt())).putLong(task.id()).array());
    }

    private static final int CLAIM_PREFIX_BYTES = 2;

    /** What the claim keys of every pending task of {@code priority} start with: they sort after it and before the next priority's. */
    static byte[] claimPrefix(Priority priority) {
        return new byte[] {Family.CLAIM.tag(), (byte) (Priority.CRITICAL.ordinal() - priority.ordinal())};
    }

    /**
     * A key of the reverse dependency store: {@code dependent} waits for {@code dependency}. Both
     * big-endian, so a range scan of one dependency finds its dependents.
     */
    public static Bytes dependentKey(long dependency, long dependent) {
        return Bytes.wrap(ByteBuffer.allocate(16).putLong(dependency).putLong(dependent).array());
    }

    /** The dependency of a {@link #dependentKey}. */
    public static long dependencyOfKey(Bytes key) {
        return ByteBuffer.wrap(key.get(), 0, 8).getLong();
    }

    /** The dependent of a {@link #dependentKey}. */
    public static long dependentOfKey(Bytes key) {
        return ByteBuffer.wrap(key.get(), 8, 8).getLong();
    }

    /** When a lease runs out, then the task id: a forward scan yields the earliest first. */
    public static Bytes leaseKey(Instant expiresAt, long id) {
        return Bytes.wrap(ByteBuffer.allocate(16).putLong(Math.max(0, expiresAt.toEpochMilli())).putLong(id).array());
    }

    public static Instant expiryOfLeaseKey(Bytes key) {
        return Instant.ofEpochMilli(ByteBuffer.wrap(key.get(), 0, 8).getLong());
    }

    public static long idOfLeaseKey(Bytes key) {
        return ByteBuffer.wrap(key.get(), 8, 8).getLong();
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
                .putLong(Long.MAX_VALUE - micros(createdAt))
                .putLong(Long.MAX_VALUE - id)
                .array();
    }

    /** Microseconds since the epoch: the precision of every time the processor records. */
    public static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
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

    /** The task id at the end of an index key, of any family. */
    public static long idOf(Bytes key) {
        byte[] k = key.get();
        long tail = ByteBuffer.wrap(k, k.length - 8, 8).getLong();
        return k[0] == Family.CLAIM.tag() ? tail : Long.MAX_VALUE - tail;
    }
}
