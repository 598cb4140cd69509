package io.taskstate.protocol;

import org.apache.kafka.common.utils.Utils;

/**
 * Ids and partitions. Partition {@code p} of {@code P} hands out ids {@code seq * P + p + 1}, so an
 * id names its home partition: {@code (id - 1) mod P}. The SDK, the app's sinks and query routing
 * all use these functions, so a task, its commands and its queries always meet on one partition.
 */
public final class Partitioning {
    private Partitioning() {
    }

    /** The home partition of task {@code id}. */
    public static int partitionOfTask(long id, int partitions) {
        if (id <= 0) {
            throw new IllegalArgumentException("Task ids are positive, got " + id);
        }
        return (int) ((id - 1) % partitions);
    }

    /** The id that sequence number {@code seq} of {@code partition} stands for. */
    public static long taskId(long seq, int partition, int partitions) {
        return Math.addExact(Math.multiplyExact(seq, (long) partitions), partition + 1L);
    }

    /** The routing key of a command meant for every partition. */
    public static final String ALL_PARTITIONS = "*";

    /** The routing key of a command meant for partition {@code partition} alone. */
    public static String routingKey(int partition) {
        return "#" + partition;
    }

    /**
     * The partitions a command the app sends itself goes to: {@link #ALL_PARTITIONS}, one named by
     * {@link #routingKey(int)}, the home of a decimal task id, or else the partition of a string key.
     */
    public static java.util.Set<Integer> partitionsOf(String routingKey, int partitions) {
        if (routingKey.equals(ALL_PARTITIONS)) {
            java.util.Set<Integer> all = new java.util.TreeSet<>();
            for (int p = 0; p < partitions; p++) {
                all.add(p);
            }
            return all;
        }
        if (routingKey.startsWith("#")) {
            return java.util.Set.of(Integer.parseInt(routingKey.substring(1)));
        }
        if (!routingKey.isEmpty() && routingKey.chars().allMatch(Character::isDigit)) {
            return java.util.Set.of(partitionOfTask(Long.parseLong(routingKey), partitions));
        }
        return java.util.Set.of(partitionOfKey(routingKey, partitions));
    }

    /** The partition of a record keyed by a string (instance ids, client ids): Kafka's own murmur2 rule. */
    public static int partitionOfKey(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
    }
}
