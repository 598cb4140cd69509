package io.taskstate.app.tasks;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Remembers what each command id got, for {@code retention}, so a retry changes nothing and is
 * answered the same. Entries expire on stream time, which keeps re-processing deterministic.
 */
final class Dedup {
    /**
     * What a command id got: its reply, or, for a command this partition only checked and passed
     * on, the command it forwarded (a retry forwards it again; its target answers from its own entry).
     */
    record Entry(Reply reply, Command forwarded) {
    }

    private final KeyValueStore<String, byte[]> entries;
    private final KeyValueStore<Bytes, byte[]> expiry;
    private final Duration retention;

    Dedup(KeyValueStore<String, byte[]> entries, KeyValueStore<Bytes, byte[]> expiry, Duration retention) {
        this.entries = entries;
        this.expiry = expiry;
        this.retention = retention;
    }

    Entry get(String commandId) {
        byte[] value = entries.get(commandId);
        return value == null ? null : Json.read(value, Entry.class);
    }

    void remember(String commandId, long timestamp, Entry entry) {
        entries.put(commandId, Json.bytes(entry));
        expiry.put(expiryKey(timestamp, commandId), new byte[0]);
    }

    /** Forgets command ids seen more than {@code retention} before {@code streamTime}. */
    void expire(long streamTime) {
        List<Bytes> expired = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = expiry.range(expiryKey(0, ""), expiryKey(streamTime - retention.toMillis(), ""))) {
            it.forEachRemaining(kv -> expired.add(kv.key));
        }
        for (Bytes key : expired) {
            expiry.delete(key);
            entries.delete(new String(key.get(), 8, key.get().length - 8, StandardCharsets.UTF_8));
        }
    }

    private static Bytes expiryKey(long timestamp, String commandId) {
        byte[] id = commandId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(Math.max(0, timestamp)).put(id).array());
    }
}
