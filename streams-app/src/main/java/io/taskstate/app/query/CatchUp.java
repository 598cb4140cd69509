package io.taskstate.app.query;

import io.taskstate.app.tasks.Progress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Whether each partition this instance runs has processed every command its log had when the
 * partition started here. After a crash or a move, a partition's stores hold its last committed
 * state, and the commands after that (some already answered, from the transaction that did not
 * commit) are processed again; until they are, a read would show a state older than a reply the
 * caller already has. So a partition is read only once its processor got past the end of its
 * command logs as they were at the start (nothing to wait for when the committed position is
 * already there), and readiness waits for all of them.
 */
final class CatchUp {
    private static final Duration POLL = Duration.ofMillis(10);

    private final KafkaStreams streams;
    private final Admin admin;
    private final String groupId;
    private final Map<Progress.Log, String> topics;
    private final Progress progress;
    /** Where each partition must get to, for the start it was computed for. */
    private final Map<Integer, Target> targets = new ConcurrentHashMap<>();
    /** The start at which each partition caught up. */
    private final Map<Integer, Integer> caughtUpAt = new ConcurrentHashMap<>();

    /** For each log, the offset its processor must have processed, or -1 when the committed position is already at the end. */
    private record Target(int start, Map<Progress.Log, Long> needed) {
    }

    /**
     * @param groupId the Kafka Streams application id, whose committed offsets say where processing resumes
     * @param topics  the topic of each command log
     */
    CatchUp(KafkaStreams streams, Admin admin, String groupId, Map<Progress.Log, String> topics, Progress progress) {
        this.streams = streams;
        this.groupId = groupId;
        this.admin = admin;
        this.topics = Map.copyOf(topics);
        this.progress = progress;
    }

    /** Notes where each of {@code partitions} must get to: called as soon as this instance runs them. */
    void started(Set<Integer> partitions) {
        partitions.forEach(this::target);
    }

    /**
     * Waits up to {@code patience} for {@code partition} to catch up: right after a takeover it has
     * usually a few commands left, processed within moments. False at once for a partition that
     * never started here.
     */
    boolean awaitCaughtUp(int partition, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!caughtUp(partition)) {
            if (progress.starts(partition) == 0 || System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    boolean caughtUp(int partition) {
        int start = progress.starts(partition);
        if (start == 0) {
            return false;
        }
        if (Integer.valueOf(start).equals(caughtUpAt.get(partition))) {
            return true;
        }
        Target target = target(partition);
        if (target == null) {
            return false;
        }
        for (Map.Entry<Progress.Log, Long> needed : target.needed().entrySet()) {
            if (!reached(needed.getKey(), partition, needed.getValue())) {
                return false;
            }
        }
        caughtUpAt.merge(partition, start, Math::max);
        return progress.starts(partition) == start;
    }

    private boolean reached(Progress.Log log, int partition, long needed) {
        // Clients' commands are written outside transactions, so the record before the end is one the
        // processor will process. The app's own are transactional: the last record before the end may
        // be a transaction marker, never processed, and then only the consumer's lag tells that nothing
        // is left (it is 0 once fetched, which may be before processed: fine for commands no client waits on).
        return needed < 0 || progress.processed(log, partition) >= needed
                || (log == Progress.Log.INTERNAL && nothingLeft(new TopicPartition(topics.get(log), partition)));
    }

    /** The target for the partition's latest start, asked of the broker once per start; null when it did not answer. */
    private Target target(int partition) {
        int start = progress.starts(partition);
        Target known = targets.get(partition);
        if (known != null && known.start() >= start) {
            return known;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets();
        if (committed == null) {
            return null;
        }
        Map<Progress.Log, Long> needed = new java.util.EnumMap<>(Progress.Log.class);
        for (Map.Entry<Progress.Log, String> topic : topics.entrySet()) {
            TopicPartition tp = new TopicPartition(topic.getValue(), partition);
            long end = endOffset(tp);
            if (end < 0) {
                return null;
            }
            OffsetAndMetadata resumeAt = committed.get(tp);
            needed.put(topic.getKey(), end == 0 || (resumeAt != null && resumeAt.offset() >= end) ? -1L : end - 1);
        }
        Target fresh = new Target(start, needed);
        return targets.merge(partition, fresh, (a, b) -> a.start() >= b.start() ? a : b);
    }

    /** The offsets the application last committed; null when the broker did not answer. */
    private Map<TopicPartition, OffsetAndMetadata> committedOffsets() {
        try {
            return admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private long endOffset(TopicPartition tp) {
        try {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(5, TimeUnit.SECONDS).offset();
        } catch (ExecutionException | TimeoutException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The stream thread's consumer has read everything of {@code tp} there is (transaction markers included). */
    private boolean nothingLeft(TopicPartition tp) {
        for (Map.Entry<MetricName, ? extends Metric> m : streams.metrics().entrySet()) {
            MetricName name = m.getKey();
            if (name.name().equals("records-lag") && name.group().equals("consumer-fetch-manager-metrics")
                    && tp.topic().equals(name.tags().get("topic"))
                    && Integer.toString(tp.partition()).equals(name.tags().get("partition"))
                    && !name.tags().getOrDefault("client-id", "").contains("restore")) {
                Object value = m.getValue().metricValue();
                return value instanceof Double lag && lag == 0.0;
            }
        }
        return false;
    }
}
