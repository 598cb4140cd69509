package io.taskstate.client.internal;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.Heartbeat;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends commands and completes a future when each one's reply arrives. One producer writes to
 * {@link Topic#TASK_COMMANDS} at the partition that owns the command; one consumer thread reads
 * this client's partition of {@link Topic#REPLIES} and matches replies by command id.
 *
 * <p>The reply consumer reads uncommitted records on purpose: the processor is deterministic, so a
 * reply seen before its transaction commits is the reply the command gets after any abort and
 * re-processing. That keeps a synchronous write near one produce round trip instead of a commit
 * interval. The README's "How replies reach the caller" gives the whole argument.
 */
public final class CommandChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommandChannel.class);

    private final String clientId;
    private final String commandsTopic;
    private final String heartbeatsTopic;
    private final Producer<String, byte[]> producer;
    private final Consumer<String, byte[]> replies;
    private final int commandPartitions;
    private final Map<String, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final Thread replyThread;
    private volatile boolean running = true;

    /**
     * @param producer a producer to use (tests pass a {@code MockProducer}); {@code null} builds an
     *                 idempotent one from {@code kafka}
     */
    public CommandChannel(String clientId, String topicPrefix, Map<String, Object> kafka, Producer<String, byte[]> producer) {
        this(clientId, topicPrefix, kafka, producer, null);
    }

    /**
     * @param replyConsumer a reply consumer to use (tests pass a {@code MockConsumer}); {@code null}
     *                      builds one from {@code kafka}. This channel assigns it and is its only reader.
     */
    public CommandChannel(String clientId, String topicPrefix, Map<String, Object> kafka, Producer<String, byte[]> producer,
                          Consumer<String, byte[]> replyConsumer) {
        this.clientId = clientId;
        this.commandsTopic = Topic.TASK_COMMANDS.name(topicPrefix);
        this.heartbeatsTopic = Topic.HEARTBEATS.name(topicPrefix);
        Producer<String, byte[]> writer = producer != null ? producer : new KafkaProducer<>(producerConfig(kafka, clientId));
        Consumer<String, byte[]> reader = null;
        try {
            this.commandPartitions = writer.partitionsFor(commandsTopic).size();
            reader = replyConsumer != null ? replyConsumer : new KafkaConsumer<>(consumerConfig(kafka, clientId));
            String repliesTopic = Topic.REPLIES.name(topicPrefix);
            TopicPartition mine = new TopicPartition(repliesTopic,
                    Partitioning.partitionOfKey(clientId, reader.partitionsFor(repliesTopic).size()));
            reader.assign(List.of(mine));
            reader.seekToEnd(List.of(mine));
            reader.position(mine); // resolve the end offset now, before the first command can be answered
        } catch (RuntimeException e) {
            writer.close(Duration.ZERO);
            if (reader != null) {
                reader.close(Duration.ZERO);
            }
            throw e;
        }
        this.producer = writer;
        this.replies = reader;
        this.replyThread = new Thread(this::readReplies, "taskstate-replies-" + clientId);
        replyThread.setDaemon(true);
        replyThread.start();
    }

    public String clientId() {
        return clientId;
    }

    /**
     * The partition a command goes to: the home of {@code routingTaskId}, or for a root create
     * ({@code null}) the partition its command id hashes to. Hashing the id rather than taking
     * turns sends a retry to the partition that saw the first attempt, where its dedup entry is.
     */
    public int partitionFor(Long routingTaskId, String commandId) {
        return routingTaskId == null
                ? Partitioning.partitionOfKey(commandId, commandPartitions)
                : Partitioning.partitionOfTask(routingTaskId, commandPartitions);
    }

    /**
     * Sends {@code command} to {@code partition}. The future completes with the reply, or
     * exceptionally with {@link java.util.concurrent.TimeoutException} after {@code timeout}, or
     * with the producer's error if the command could not be written.
     */
    public CompletableFuture<Reply> send(Command command, int partition, Duration timeout) {
        String key = command.taskId() == null ? command.commandId() : command.taskId().toString();
        return request(commandsTopic, partition, key, Json.bytes(command), command.commandId(), timeout);
    }

    /** Sends a heartbeat that wants its instance back (it names a command id); completes with the reply. */
    public CompletableFuture<Reply> heartbeat(Heartbeat heartbeat, Duration timeout) {
        return request(heartbeatsTopic, partitionOfInstance(heartbeat.instanceId()), heartbeat.instanceId(),
                Json.bytes(heartbeat), heartbeat.commandId(), timeout);
    }

    /** Sends a fire-and-forget heartbeat; completes when the broker has it. */
    public CompletableFuture<Void> beat(String instanceId) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(heartbeatsTopic, partitionOfInstance(instanceId), instanceId,
                Json.bytes(new Heartbeat(instanceId, null, null))), (metadata, error) -> {
                    if (error != null) {
                        written.completeExceptionally(error);
                    } else {
                        written.complete(null);
                    }
                });
        return written;
    }

    /** The partition instance {@code instanceId} lives on. */
    public int partitionOfInstance(String instanceId) {
        return Partitioning.partitionOfKey(instanceId, commandPartitions);
    }

    private CompletableFuture<Reply> request(String topic, int partition, String key, byte[] value, String commandId,
                                             Duration timeout) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        CompletableFuture<Reply> previous = pending.putIfAbsent(commandId, reply);
        if (previous != null) {
            return previous; // the same command is already in flight: share its reply
        }
        // Callers see the outcome only after the command id has left the in-flight map, so a retry
        // with the same id made from their failure handling is sent again rather than joined to this one.
        CompletableFuture<Reply> settled = reply.orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> pending.remove(commandId, reply));
        producer.send(new ProducerRecord<>(topic, partition, key, value), (metadata, error) -> {
            if (error != null) {
                reply.completeExceptionally(error);
            }
        });
        return settled;
    }

    private void readReplies() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : replies.poll(Duration.ofMillis(200))) {
                    if (!clientId.equals(record.key()) || record.value() == null) {
                        continue;
                    }
                    Reply reply;
                    try {
                        reply = Json.read(record.value(), Reply.class);
                    } catch (RuntimeException e) {
                        log.warn("Ignoring an unreadable reply at offset {}: {}", record.offset(), e.getMessage());
                        continue;
                    }
                    CompletableFuture<Reply> future = pending.get(reply.commandId());
                    if (future != null) {
                        future.complete(reply);
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            replies.close();
        }
    }

    @Override
    public void close() {
        running = false;
        replies.wakeup();
        try {
            replyThread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        pending.values().forEach(f -> f.completeExceptionally(new IllegalStateException("client closed")));
    }

    private static Map<String, Object> producerConfig(Map<String, Object> kafka, String clientId) {
        Map<String, Object> c = new java.util.HashMap<>(kafka);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-commands");
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        return c;
    }

    private static Map<String, Object> consumerConfig(Map<String, Object> kafka, String clientId) {
        Map<String, Object> c = new java.util.HashMap<>(kafka);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-replies");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return c;
    }
}
