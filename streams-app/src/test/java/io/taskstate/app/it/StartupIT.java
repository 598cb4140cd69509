package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.protocol.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Topics at start, and records the processor cannot read, on a real broker. */
@ExtendWith(KafkaBroker.class)
class StartupIT {

    @Test
    void creates_every_topic_with_the_configured_partitions() throws Exception {
        try (RunningApp app = RunningApp.start(4);
             Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrapServers()))) {
            List<String> names = java.util.Arrays.stream(Topic.values()).map(t -> t.name(app.topicPrefix())).toList();

            var described = admin.describeTopics(names).allTopicNames().get();

            assertThat(described.values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(4));
            var configs = admin.describeConfigs(Set.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topic.TASKS.name(app.topicPrefix()))))
                    .all().get().values().iterator().next();
            assertThat(configs.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void refuses_to_start_when_an_existing_topic_has_another_partition_count() {
        String prefix;
        try (RunningApp app = RunningApp.start(2)) {
            prefix = app.topicPrefix();
        }

        assertThatThrownBy(() -> RunningApp.start(3, Map.of(TaskStateConfig.TOPIC_PREFIX, prefix)).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has 2 partitions but TASKSTATE_PARTITIONS is 3");
    }

    @Test
    void an_unreadable_command_goes_to_the_dead_letter_topic_and_processing_continues() throws Exception {
        try (RunningApp app = RunningApp.start(1);
             var client = app.client();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers()),
                     new ByteArraySerializer(), new ByteArraySerializer());
             KafkaConsumer<byte[], byte[]> deadLetters = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers(),
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                     new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            producer.send(new ProducerRecord<>(Topic.TASK_COMMANDS.name(app.topicPrefix()), 0,
                    null, "not json at all".getBytes(StandardCharsets.UTF_8))).get();

            var task = client.createTask(io.taskstate.client.NewTask.titled("still processing"));

            assertThat(client.getTask(task.id()).title()).isEqualTo("still processing");
            deadLetters.assign(List.of(new org.apache.kafka.common.TopicPartition(Topic.DEAD_LETTER.name(app.topicPrefix()), 0)));
            ConsumerRecord<byte[], byte[]> dead = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> {
                        var records = deadLetters.poll(Duration.ofMillis(200));
                        return records.isEmpty() ? null : records.iterator().next();
                    }, r -> r != null);
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not json at all");
            assertThat(new String(dead.headers().lastHeader("taskstate.dead-letter.reason").value(), StandardCharsets.UTF_8))
                    .startsWith("not JSON");
        }
    }
}
