package io.taskstate.app.query;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * Whether this instance has processed every command its partitions had when it took them over.
 * After a crash or a move, a partition's stores hold its last committed state, and the commands
 * after that (some already answered, from the transaction that did not commit) are processed
 * again; until they are, a read would show a state older than a reply the caller already has.
 * So this instance reports ready only once each of its partitions has committed past the end of
 * its command log as it was when this instance took it (or its consumer has nothing left to read).
 * Readiness gates reads after a start; a partition that moves between running instances is read
 * as soon as its stores are restored.
 */
final class CatchUp {
    private final KafkaStreams streams;
    private final Admin admin;
    private final String commandsTopic;
    private final Map<Integer, Long> targets = new ConcurrentHashMap<>();
    private final Set<Integer> caughtUp = ConcurrentHashMap.newKeySet();

    CatchUp(KafkaStreams streams, Admin admin, String commandsTopic) {
        this.streams = streams;
        this.admin = admin;
        this.commandsTopic = commandsTopic;
    }

    /** Forgets what was caught up: called whenever partitions may have moved. */
    void reset() {
        caughtUp.clear();
        targets.clear();
    }

    /** Notes where each of {@code partitions} must get to: called as soon as this instance runs them. */
    void started(Set<Integer> partitions) {
        for (int p : partitions) {
            targets.computeIfAbsent(p, q -> endOffset(new TopicPartition(commandsTopic, q)));
        }
    }

    boolean caughtUp(int partition) {
        if (caughtUp.contains(partition)) {
            return true;
        }
        TopicPartition tp = new TopicPartition(commandsTopic, partition);
        long target = targets.computeIfAbsent(partition, p -> endOffset(tp));
        if (target < 0) {
            targets.remove(partition);
            return false;
        }
        Long committed = committed(tp);
        if ((committed != null && committed >= target) || nothingLeft(tp)) {
            caughtUp.add(partition);
            return true;
        }
        return false;
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

    private Long committed(TopicPartition tp) {
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                Long offset = task.committedOffsets().get(tp);
                if (offset != null) {
                    return offset;
                }
            }
        }
        return null;
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
