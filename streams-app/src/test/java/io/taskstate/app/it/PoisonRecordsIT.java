package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.tasks.DeadLetters;
import io.taskstate.app.tasks.TopologyBuilder;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.Topic;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Poison on every topic the app reads, produced raw onto the real broker: each record lands in
 * the dead-letter topic with its reason, the metric counts it, and the app goes on answering and
 * applying valid commands.
 */
@ExtendWith(KafkaBroker.class)
class PoisonRecordsIT {
    private static final int PARTITIONS = 2;

    private static RunningApp app;
    private static TaskStateClient client;
    /** The poison, by key: topic, value, and what its reason must say. */
    private static final Map<String, Poison> POISON = new LinkedHashMap<>();

    private record Poison(Topic topic, int partition, byte[] value, String reasonClass, String reasonMentions) {
    }

    @BeforeAll
    static void start() {
        app = RunningApp.start(PARTITIONS);
        client = app.client();
        byte[] huge = "x".repeat(1_040_000).getBytes(StandardCharsets.UTF_8);
        String bigUnknown = "{\"command_id\": \"c-big\", \"client_id\": \"poison\", \"type\": \"archive_task\", \"payload\": {\"pad\": \""
                + "p".repeat(900_000) + "\"}}";
        poison("not-json", Topic.TASK_COMMANDS, 0, "\u0000\u0001binary garbage", "unreadable", "not JSON");
        poison("wrong-types", Topic.TASK_COMMANDS, 1, "{\"command_id\": 5, \"client_id\": [], \"type\": {}}", "unreadable", "command_id");
        poison("not-an-object", Topic.TASK_COMMANDS, 0, "[\"create_task\"]", "unreadable", "JSON object");
        poison("unknown-type", Topic.TASK_COMMANDS, 1,
                "{\"command_id\": \"c-1\", \"client_id\": \"poison\", \"type\": \"archive_task\", \"payload\": {}}", "unknown_type",
                "archive_task");
        poison("trailing", Topic.TASK_COMMANDS, 0,
                "{\"command_id\": \"c-2\", \"client_id\": \"poison\", \"type\": \"create_task\", \"payload\": {\"title\": \"t\"}} x",
                "unreadable", "not JSON");
        poison("big-unknown", Topic.TASK_COMMANDS, 1, bigUnknown, "unknown_type", "archive_task");
        POISON.put("huge", new Poison(Topic.TASK_COMMANDS, 0, huge, "unreadable", "not JSON"));
        POISON.put("null-command", new Poison(Topic.TASK_COMMANDS, 1, null, "unreadable", "empty record"));
        poison("internal-not-json", Topic.INTERNAL_COMMANDS, 0, "{broken", "unreadable", "not JSON");
        poison("internal-unknown-type", Topic.INTERNAL_COMMANDS, 1,
                "{\"command_id\": \"c-internal\", \"client_id\": \"poison\", \"type\": \"reboot_everything\"}", "unknown_type",
                "reboot_everything");
        poison("hb-not-json", Topic.HEARTBEATS, 0, "{instance_id: oops", "bad_heartbeat", "unreadable heartbeat");
        poison("hb-wrong-type", Topic.HEARTBEATS, 1, "{\"instance_id\": 42}", "bad_heartbeat", "instance_id");
        String elsewhere = "worker-elsewhere";
        int wrong = 1 - Partitioning.partitionOfKey(elsewhere, PARTITIONS);
        poison("hb-wrong-partition", Topic.HEARTBEATS, wrong, "{\"instance_id\": \"" + elsewhere + "\"}", "wrong_partition",
                "belongs on");
        POISON.put("hb-null", new Poison(Topic.HEARTBEATS, 0, null, "bad_heartbeat", "unreadable heartbeat"));
    }

    private static void poison(String key, Topic topic, int partition, String value, String reasonClass, String mentions) {
        POISON.put(key, new Poison(topic, partition, value.getBytes(StandardCharsets.UTF_8), reasonClass, mentions));
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void poison_on_every_topic_is_dead_lettered_with_its_reason_counted_and_the_app_goes_on() throws Exception {
        // When
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_048_576), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Map.Entry<String, Poison> p : POISON.entrySet()) {
                producer.send(new ProducerRecord<>(p.getValue().topic().name(app.topicPrefix()), p.getValue().partition(),
                        p.getKey().getBytes(StandardCharsets.UTF_8), p.getValue().value())).get();
            }
        }

        // Then: each one is in the dead-letter topic, with its reason
        Map<String, ConsumerRecord<byte[], byte[]>> dead = deadLetters();
        assertThat(dead).containsOnlyKeys(POISON.keySet());
        POISON.forEach((key, p) -> {
            ConsumerRecord<byte[], byte[]> record = dead.get(key);
            assertThat(header(record, TopologyBuilder.DEAD_LETTER_REASON)).as(key).contains(p.reasonMentions());
            if (p.value() == null) {
                assertThat(record.value()).as(key).isNull();
            } else if (p.value().length < 1_000_000) {
                assertThat(record.value()).as(key).isEqualTo(p.value());
            } else {
                assertThat(header(record, DeadLetters.TRUNCATED_FROM)).as(key).isEqualTo(Integer.toString(p.value().length));
            }
        });

        // and the app keeps answering and applying commands and heartbeats
        Task after = client.createTask(NewTask.titled("after the poison"));
        assertThat(client.getTask(after.id()).title()).isEqualTo("after the poison");
        assertThat(client.heartbeat("worker-after").instanceId()).isEqualTo("worker-after");
        assertThat(new Http(app.baseUrl()).get("/health/ready").status()).isEqualTo(200);

        // and the metric counts them, in the admin check and over JMX
        Map<String, Long> expected = new HashMap<>();
        POISON.values().forEach(p -> expected.merge(p.reasonClass(), 1L, Long::sum));
        JsonNode check = new Http(app.baseUrl()).get("/api/v1/admin/check").body();
        assertThat(check.path("dead_letters").path("total").asLong()).isEqualTo(POISON.size());
        expected.forEach((reason, count) ->
                assertThat(check.path("dead_letters").path("by_reason").path(reason).asLong()).as(reason).isEqualTo(count));
        assertThat(jmxDeadLetters()).isEqualTo(POISON.size());
    }

    private static Map<String, ConsumerRecord<byte[], byte[]>> deadLetters() {
        Map<String, ConsumerRecord<byte[], byte[]>> dead = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 * 1024 * 1024),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            String topic = Topic.DEAD_LETTER.name(app.topicPrefix());
            List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await("every poison record in the dead-letter topic").atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> dead.put(new String(r.key(), StandardCharsets.UTF_8), r));
                return dead.size() >= POISON.size();
            });
        }
        return dead;
    }

    /** The dead-letter metric of this app's stream threads, as JMX shows it. */
    private static long jmxDeadLetters() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        String applicationId = app.topicPrefix().substring(0, app.topicPrefix().length() - 1);
        long total = 0;
        for (ObjectName name : server.queryNames(new ObjectName("kafka.streams:type=" + DeadLetters.GROUP + ",*"), null)) {
            if (name.getKeyProperty("thread-id").startsWith(applicationId)) {
                total += ((Number) server.getAttribute(name, DeadLetters.METRIC)).longValue();
            }
        }
        return total;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
