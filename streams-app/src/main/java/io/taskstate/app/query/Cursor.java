package io.taskstate.app.query;

import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskSort;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;

/**
 * Where a page ended: the sort position ({@link TaskSort#key}) of its last task, and the order it
 * is a position in. Opaque to callers, and valid on every instance, because it names a position in
 * the global order, not a partition. A cursor of the default order keeps its original 16-byte form.
 */
public record Cursor(TaskSort sort, long primary, long createdAtMicros, long id) {

    public Cursor {
        java.util.Objects.requireNonNull(sort, "sort");
    }

    /** A position in the default order, newest first. */
    public Cursor(long createdAtMicros, long id) {
        this(TaskSort.NEWEST_FIRST, createdAtMicros, createdAtMicros, id);
    }

    public static Cursor after(Task task) {
        return after(task, TaskSort.NEWEST_FIRST);
    }

    public static Cursor after(Task task, TaskSort sort) {
        long[] key = sort.key(task);
        return new Cursor(sort, key[0], key[1], key[2]);
    }

    /** The sort position, comparable with {@link TaskSort#key} under {@link #sort}. */
    public long[] key() {
        return new long[] {primary, createdAtMicros, id};
    }

    public Instant createdAt() {
        return Instant.EPOCH.plus(createdAtMicros, java.time.temporal.ChronoUnit.MICROS);
    }

    public String encode() {
        ByteBuffer b = sort.equals(TaskSort.NEWEST_FIRST) ? ByteBuffer.allocate(16)
                : ByteBuffer.allocate(25).put((byte) (sort.field().ordinal() * 2 + (sort.ascending() ? 1 : 0))).putLong(primary);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.putLong(createdAtMicros).putLong(id).array());
    }

    /** @throws IllegalArgumentException for anything but a cursor this service handed out */
    public static Cursor decode(String text) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            bytes = new byte[0];
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length == 16) {
            return new Cursor(b.getLong(), b.getLong());
        }
        int tag = bytes.length == 25 ? bytes[0] : -1;
        if (tag < 0 || tag >= 2 * TaskSort.Field.values().length) {
            throw new IllegalArgumentException("Invalid cursor: pass the next_cursor of a previous page unchanged");
        }
        b.get();
        return new Cursor(new TaskSort(TaskSort.Field.values()[tag / 2], tag % 2 == 1), b.getLong(), b.getLong(), b.getLong());
    }

    /** This cursor, checked to belong to a query in {@code expected} order. */
    public Cursor requireSort(TaskSort expected) {
        if (!sort.equals(expected)) {
            throw new IllegalArgumentException("Invalid cursor: it continues a query sorted by " + describe(sort)
                    + ", not " + describe(expected) + "; pass the same sort and order as the first page");
        }
        return this;
    }

    private static String describe(TaskSort s) {
        return s.field().wire() + " " + (s.ascending() ? "asc" : "desc");
    }
}
