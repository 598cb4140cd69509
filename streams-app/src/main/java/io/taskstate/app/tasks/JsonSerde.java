package io.taskstate.app.tasks;

import io.taskstate.protocol.Json;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** A serde for the wire types, in their one JSON form. */
public final class JsonSerde {
    private JsonSerde() {
    }

    public static <T> Serde<T> of(Class<T> type) {
        Serializer<T> serializer = (topic, value) -> value == null ? null : Json.bytes(value);
        Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : Json.read(bytes, type);
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
