package io.taskstate.app.events;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of the events topic on its own thread, from a position on, and hands each
 * event, in the order read, to every subscriber. It reads {@code read_committed}, so a change shows
 * only once its transaction committed, and it is in no consumer group: each instance of the app
 * reads the whole topic and can serve every change.
 *
 * <p>An event's id is the position right after it, so the events a subscriber gets after joining
 * are exactly those after the position {@link #join} returned.
 */
public final class EventFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventFeed.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final AtomicInteger FEEDS = new AtomicInteger();

    /** One event as read: the position after it, its type ({@code task} or {@code instance}), its JSON, raw and parsed. */
    public record Event(String id, String type, JsonNode value, byte[] json) {
    }

    /** Where a feed's events go. Called on the feed's thread, so it must not block. */
    public interface Subscriber {
        /** Takes the next event; {@code false} when it can take no more, which drops it from the feed (then {@link #end}). */
        boolean offer(Event event);

        /** No more events come: the feed closed, reading failed, or this subscriber was dropped. */
        void end();
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final List<Subscriber> subscribers = new ArrayList<>(); // guarded by this
    private final long[] next; // guarded by this
    private final String lost;
    private final Thread thread;
    private volatile boolean closed;

    private EventFeed(Map<String, Object> kafka, String topic, int partitionCount, EventPosition from) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "taskstate-events-" + FEEDS.incrementAndGet());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // every read starts at an explicit position; one that retention overtook must fail, not skip silently
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        for (int p = 0; p < partitionCount; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        consumer = new KafkaConsumer<>(props);
        next = new long[partitionCount];
        try {
            consumer.assign(partitions);
            lost = from == null ? seekToEnd() : seek(from);
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
        thread = new Thread(this::run, "taskstate-events-" + FEEDS.get());
        thread.setDaemon(true);
        thread.start();
    }

    /** A feed of the events written from now on. */
    public static EventFeed fromEnd(Map<String, Object> kafka, String topic, int partitions) {
        return new EventFeed(kafka, topic, partitions, null);
    }

    /**
     * A feed of the events after {@code position}; where retention already removed some of them,
     * from the oldest kept (see {@link #lost()}).
     *
     * @throws IllegalArgumentException when {@code position} is past the end of a partition: it is not from this topic
     */
    public static EventFeed from(Map<String, Object> kafka, String topic, int partitions, EventPosition position) {
        return new EventFeed(kafka, topic, partitions, position);
    }

    private String seekToEnd() {
        consumer.seekToEnd(partitions);
        for (TopicPartition tp : partitions) {
            next[tp.partition()] = consumer.position(tp); // read_committed: the last stable offset
        }
        return null;
    }

    private String seek(EventPosition from) {
        Map<TopicPartition, Long> first = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions); // read_committed: the last stable offset
        List<String> gone = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            long wanted = from.next(tp.partition());
            if (wanted > end.get(tp)) {
                throw new IllegalArgumentException("offset " + tp.partition() + " is " + wanted + ", past the end of the stream ("
                        + end.get(tp) + "): it is not a position of this events topic");
            }
            long at = Math.max(wanted, first.get(tp));
            if (at > wanted) {
                gone.add((at - wanted) + " on partition " + tp.partition());
            }
            consumer.seek(tp, at);
            next[tp.partition()] = at;
        }
        return gone.isEmpty() ? null : "Events older than the retention of the events topic (TASKSTATE_EVENTS_RETENTION) "
                + "are gone: " + String.join(", ", gone) + " were not sent. Read the current state with GET /api/v1/tasks; "
                + "the stream goes on from the oldest event kept";
    }

    /** When the position asked for was older than the retention: which events are gone; else {@code null}. */
    public String lost() {
        return lost;
    }

    /**
     * Adds {@code subscriber}, which gets every event read from now on.
     *
     * @return the position the subscriber starts after
     * @throws IllegalStateException when the feed has ended
     */
    public synchronized EventPosition join(Subscriber subscriber) {
        if (closed) {
            throw new IllegalStateException("the events feed has ended");
        }
        subscribers.add(subscriber);
        return new EventPosition(next);
    }

    /** Removes {@code subscriber}; it gets nothing more (and no {@link Subscriber#end}). */
    public synchronized void leave(Subscriber subscriber) {
        subscribers.remove(subscriber);
    }

    public boolean ended() {
        return closed;
    }

    private void run() {
        try {
            while (!closed) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (!records.isEmpty()) {
                    deliver(records);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            if (!closed) {
                log.warn("Reading the events topic failed; its streams end and their clients resume where they left off", e);
            }
        } finally {
            closed = true;
            consumer.close(Duration.ofSeconds(5));
            List<Subscriber> ending;
            synchronized (this) {
                ending = new ArrayList<>(subscribers);
                subscribers.clear();
            }
            ending.forEach(Subscriber::end);
        }
    }

    private synchronized void deliver(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            next[r.partition()] = r.offset() + 1;
            Event event = event(r);
            if (event == null) {
                continue;
            }
            subscribers.removeIf(s -> {
                if (s.offer(event)) {
                    return false;
                }
                s.end();
                return true;
            });
        }
    }

    private Event event(ConsumerRecord<byte[], byte[]> r) {
        JsonNode value;
        try {
            value = r.value() == null ? null : Json.tree(r.value());
        } catch (IOException e) {
            value = null;
        }
        if (value == null || !value.path("type").isTextual()) {
            log.warn("Skipping an unreadable record at offset {} of partition {} of {}", r.offset(), r.partition(), r.topic());
            return null;
        }
        return new Event(new EventPosition(next).toString(), value.path("type").asText(), value, r.value());
    }

    /** Stops reading; every subscriber gets {@link Subscriber#end}. */
    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
