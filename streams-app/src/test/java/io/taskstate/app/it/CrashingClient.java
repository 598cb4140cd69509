package io.taskstate.app.it;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A client that dies between send and reply, for {@link ClientCrashIT}: it sends one command
 * through the SDK and halts the JVM the moment the broker acknowledges the write, before any reply
 * can reach it. Run as {@code CrashingClient BOOTSTRAP PREFIX CLIENT_ID COMMAND_ID create TITLE} or
 * {@code ... claim TASK_ID ASSIGNEE}.
 */
public final class CrashingClient {
    /** The exit code of a halt right after the broker took the command. */
    public static final int HALTED_AFTER_SEND = 77;
    /** Printed, with the command's topic, partition and offset, just before the halt. */
    public static final String SENT = "command on the broker at ";

    private CrashingClient() {
    }

    public static void main(String[] args) throws InterruptedException {
        String bootstrap = args[0];
        String prefix = args[1];
        String clientId = args[2];
        String commandId = args[3];
        Map<String, Object> producer = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, List.of(HaltOnAcknowledgement.class.getName()));
        TaskStateClient client = TaskStateClient.builder().bootstrapServers(bootstrap).topicPrefix(prefix).clientId(clientId)
                .timeout(Duration.ofMinutes(1)).producer(new KafkaProducer<>(producer)).build();
        switch (args[4]) {
            case "create" -> client.createTaskAsync(NewTask.titled(args[5]), commandId);
            case "claim" -> client.claimAsync(Long.parseLong(args[5]), args[6], null, commandId);
            default -> throw new IllegalArgumentException("unknown command " + args[4] + "; expected create or claim");
        }
        new CountDownLatch(1).await(); // the interceptor halts the JVM
    }

    /** Halts the JVM as soon as the broker acknowledges a command: no close, no reply read. */
    public static final class HaltOnAcknowledgement implements ProducerInterceptor<String, byte[]> {
        @Override
        public ProducerRecord<String, byte[]> onSend(ProducerRecord<String, byte[]> record) {
            return record;
        }

        @Override
        public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
            if (exception == null && metadata != null) {
                System.out.println(SENT + metadata.topic() + "-" + metadata.partition() + "@" + metadata.offset());
                System.out.flush();
                Runtime.getRuntime().halt(HALTED_AFTER_SEND);
            }
        }

        @Override
        public void close() {
        }

        @Override
        public void configure(Map<String, ?> configs) {
        }
    }
}
