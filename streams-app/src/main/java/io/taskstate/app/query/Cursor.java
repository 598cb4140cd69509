package io.taskstate.app.query;

import io.taskstate.app.tasks.TaskIndex;
import io.taskstate.protocol.Task;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;

/**
 * Where a page ended: the sort position (created_at, id) of its last task. Opaque to callers,
 * and valid on every instance, because it names a position in the global order, not a partition.
 */
public record Cursor(long createdAtMicros, long id) {

    public static Cursor after(Task task) {
        return new Cursor(TaskIndex.micros(task.createdAt()), task.id());
    }

    public Instant createdAt() {
        return Instant.EPOCH.plus(createdAtMicros, java.time.temporal.ChronoUnit.MICROS);
    }

    public String encode() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                ByteBuffer.allocate(16).putLong(createdAtMicros).putLong(id).array());
    }

    /** @throws IllegalArgumentException for anything but a cursor this service handed out */
    public static Cursor decode(String text) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            bytes = new byte[0];
        }
        if (bytes.length != 16) {
            throw new IllegalArgumentException("Invalid cursor: pass the next_cursor of a previous page unchanged");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new Cursor(b.getLong(), b.getLong());
    }
}
