package io.taskstate.app.tasks;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends the records the processor cannot apply to the dead-letter topic, with the reason in a
 * header, and counts them in a Kafka Streams metric, {@value #METRIC} (and {@code
 * dead-lettered-records-rate}) in group {@value #GROUP}, tagged with the {@link Reason}; it shows in
 * {@code KafkaStreams.metrics()} and over JMX, and {@link #counts} sums it for the admin check.
 */
public final class DeadLetters {
    /** The metric counting dead-lettered records since this instance started. */
    public static final String METRIC = "dead-lettered-records-total";
    /** Its group: custom Streams metrics are {@code stream-<scope>-metrics}. */
    public static final String GROUP = "stream-taskstate-metrics";
    /** The tag naming the reason class. */
    public static final String REASON_TAG = "reason";
    /** Header naming the size of a value cut to fit in the dead-letter topic. */
    public static final String TRUNCATED_FROM = "taskstate.dead-letter.truncated-from";
    /**
     * Largest key plus value copied to the dead-letter topic: an input that filled a whole Kafka
     * record would not fit again with the reason headers added, and failing to write it would
     * stop the partition. A larger value is cut to fit.
     */
    static final int MAX_COPY_BYTES = 1_000_000;
    private static final int MAX_REASON_CHARS = 1_000;

    /** Why a record went to the dead-letter topic, as the metric's tag. */
    public enum Reason {
        /** Not a JSON command envelope: not JSON, not an object, a required field missing or of the wrong type. */
        UNREADABLE,
        /** A well-formed envelope of a command type the app does not know. */
        UNKNOWN_TYPE,
        /** A heartbeat that is not JSON, or names no valid instance. */
        BAD_HEARTBEAT,
        /** A record on a partition its key does not belong to. */
        WRONG_PARTITION,
        /** Applying it failed in a way the checks did not foresee; the server log has the stack trace. */
        FAILED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final ProcessorContext<byte[], byte[]> context;
    private final Map<Reason, Sensor> sensors = new EnumMap<>(Reason.class);

    DeadLetters(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        for (Reason reason : Reason.values()) {
            // the entity name keeps one sensor per reason: the sensor's name is made of operation and entity only
            sensors.put(reason, context.metrics().addRateTotalSensor("taskstate", "dead-letter-" + reason.tag(),
                    "dead-lettered-records", Sensor.RecordingLevel.INFO, REASON_TAG, reason.tag()));
        }
    }

    /** Sends {@code record} to the dead-letter topic with {@code reason}, so processing can go on. */
    void send(Record<byte[], byte[]> record, Reason reason, String detail) {
        Headers headers = record.headers();
        String shown = detail.length() <= MAX_REASON_CHARS ? detail : detail.substring(0, MAX_REASON_CHARS) + "...";
        headers.add(TopologyBuilder.DEAD_LETTER_REASON, shown.getBytes(StandardCharsets.UTF_8));
        context.recordMetadata().ifPresent(m -> headers.add("taskstate.dead-letter.source",
                (m.topic() + "-" + m.partition() + "@" + m.offset()).getBytes(StandardCharsets.UTF_8)));
        byte[] key = record.key();
        byte[] value = record.value();
        int keyBytes = key == null ? 0 : key.length;
        if (keyBytes > MAX_COPY_BYTES) {
            key = java.util.Arrays.copyOf(key, MAX_COPY_BYTES);
            keyBytes = MAX_COPY_BYTES;
        }
        if (value != null && keyBytes + value.length > MAX_COPY_BYTES) {
            headers.add(TRUNCATED_FROM, Integer.toString(value.length).getBytes(StandardCharsets.UTF_8));
            value = java.util.Arrays.copyOf(value, MAX_COPY_BYTES - keyBytes);
        }
        context.forward(new Record<>(key, value, record.timestamp(), headers), TopologyBuilder.DEAD_LETTER_SINK);
        sensors.get(reason).record();
    }

    /** The records dead-lettered since this instance started, by reason, from its Streams metrics. */
    public static Map<String, Long> counts(Map<MetricName, ? extends Metric> metrics) {
        Map<String, Long> counts = new TreeMap<>();
        metrics.forEach((name, metric) -> {
            if (name.name().equals(METRIC) && name.group().equals(GROUP) && name.tags().containsKey(REASON_TAG)) {
                counts.merge(name.tags().get(REASON_TAG), (long) ((Number) metric.metricValue()).doubleValue(), Long::sum);
            }
        });
        return counts;
    }
}
