package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Topic;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Dependencies across partitions on a real broker, over the SDK, HTTP and MCP. */
@ExtendWith(KafkaBroker.class)
class DependenciesIT {
    private static final int PARTITIONS = 3;
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static RunningApp app;
    private static TaskStateClient client;
    private static Http http;

    @BeforeAll
    static void start() {
        app = RunningApp.start(PARTITIONS);
        client = app.client();
        http = new Http(app.baseUrl() + "/api/v1");
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

    /** One new root task on each partition, in partition order, titled {@code tag} and the partition. */
    private static List<Task> onePerPartition(String tag) {
        Map<Integer, Task> found = new HashMap<>();
        while (found.size() < PARTITIONS) {
            Task t = client.createTask(NewTask.titled(tag + " p?"));
            found.putIfAbsent(Partitioning.partitionOfTask(t.id(), PARTITIONS), t);
        }
        return List.of(found.get(0), found.get(1), found.get(2));
    }

    private static String tag() {
        return "dep-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void a_dependent_on_another_partition_becomes_claimable_once_its_dependency_completes() {
        // Given
        String tag = tag();
        List<Task> tasks = onePerPartition(tag);
        Task dependency = tasks.get(0);
        Task dependent = client.createTask(NewTask.titled(tag + " dependent").parent(tasks.get(1).id())
                .dependsOn(List.of(dependency.id())));
        assertThat(dependent.ready()).isFalse();
        assertThatThrownBy(() -> client.claim(dependent.id(), "w1"))
                .isInstanceOf(TaskStateException.Conflict.class)
                .hasMessageContaining("waiting for its dependencies: " + dependency.id());
        assertThat(client.claimNext("w1", ClaimFilter.ANY.titleContains(tag + " dependent"))).isEmpty();

        // When
        client.claim(dependency.id(), "w0");
        client.complete(dependency.id(), "w0");

        // Then
        await("dependent ready").atMost(DEADLINE).until(() -> client.getTask(dependent.id()).ready());
        Optional<Task> claimed = client.claimNext("w1", ClaimFilter.ANY.titleContains(tag + " dependent"));
        assertThat(claimed).map(Task::id).contains(dependent.id());
        assertThat(client.getTask(dependent.id()).statusReason()).isNull();
        // exactly once: the committed snapshots are the create, the one readiness change, the claim
        assertThat(committedSnapshots(dependent.id(), 3)).extracting(t -> t.status().wire() + (t.ready() ? " ready" : " waiting"))
                .containsExactly("pending waiting", "pending ready", "in_progress ready");
    }

    /** The first {@code count} snapshots of task {@code id} on the tasks topic, as a read-committed consumer sees them. */
    private static List<Task> committedSnapshots(long id, int count) {
        String topic = Topic.TASKS.name(app.topicPrefix());
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, app.server().bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<Task> snapshots = new java.util.ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            TopicPartition home = new TopicPartition(topic, Partitioning.partitionOfTask(id, PARTITIONS));
            consumer.assign(List.of(home));
            consumer.seekToBeginning(List.of(home));
            java.time.Instant deadline = java.time.Instant.now().plus(DEADLINE);
            while (snapshots.size() < count && java.time.Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key().equals(Long.toString(id)) && record.value() != null) {
                        snapshots.add(Json.read(record.value(), Task.class));
                    }
                }
            }
            // anything more that is already committed would be a duplicate
            consumer.poll(Duration.ofMillis(500)).forEach(record -> {
                if (record.key().equals(Long.toString(id)) && record.value() != null) {
                    snapshots.add(Json.read(record.value(), Task.class));
                }
            });
        }
        return snapshots;
    }

    @Test
    void a_cycle_across_partitions_is_refused_over_http_with_its_path() {
        // Given  c -> b -> a, each on another partition
        List<Task> tasks = onePerPartition(tag());
        long a = tasks.get(0).id();
        long b = tasks.get(1).id();
        long c = tasks.get(2).id();
        assertThat(http.patch("/tasks/" + b, "{\"depends_on\": [" + a + "]}").status()).isEqualTo(200);
        assertThat(http.patch("/tasks/" + c, "{\"depends_on\": [" + b + "]}").status()).isEqualTo(200);

        // When
        Http.Response refused = http.patch("/tasks/" + a, "{\"depends_on\": [" + c + "]}");

        // Then
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.contentType()).startsWith("application/problem+json");
        assertThat(refused.body().path("detail").asText())
                .startsWith("depends_on would make a cycle: " + a + " -> " + c + " -> " + b + " -> " + a);
        assertThat(client.getTask(a).dependsOn()).isEmpty();
    }

    @Test
    void a_cycle_across_partitions_is_refused_by_the_sdk() {
        // Given
        List<Task> tasks = onePerPartition(tag());
        long a = tasks.get(0).id();
        long b = tasks.get(2).id();
        client.updateTask(b, TaskUpdate.of().dependsOn(List.of(a)));

        // When / Then
        assertThatThrownBy(() -> client.updateTask(a, TaskUpdate.of().dependsOn(List.of(b))))
                .isInstanceOf(TaskStateException.Invalid.class)
                .hasMessageStartingWith("depends_on would make a cycle: " + a + " -> " + b + " -> " + a);
    }

    @Test
    void a_dependency_that_does_not_exist_is_refused_over_http_before_anything_is_sent() {
        // When
        Http.Response refused = http.post("/tasks", "{\"title\": \"waits for nothing\", \"depends_on\": [987654321]}");

        // Then
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body().path("detail").asText())
                .isEqualTo("Task 987654321 does not exist: depends_on may only name existing tasks");
    }

    @Test
    void deleting_a_dependency_on_another_partition_frees_its_dependent() {
        // Given
        List<Task> tasks = onePerPartition(tag());
        long dependency = tasks.get(1).id();
        long dependent = tasks.get(2).id();
        JsonNode waiting = http.patch("/tasks/" + dependent, "{\"depends_on\": [" + dependency + "]}").body();
        assertThat(waiting.path("ready").asBoolean()).isFalse();
        assertThat(waiting.path("open_dependencies").get(0).asLong()).isEqualTo(dependency);

        // When
        assertThat(http.delete("/tasks/" + dependency).status()).isEqualTo(200);

        // Then
        await("dependency removed").atMost(DEADLINE).until(() -> client.getTask(dependent).dependsOn().isEmpty());
        Task freed = client.getTask(dependent);
        assertThat(freed.ready()).isTrue();
        assertThat(freed.statusReason()).isEqualTo("Dependency " + dependency + " was deleted; removed from depends_on: ready");
    }

    @Test
    void the_consistency_check_holds_with_dependencies_on_the_same_and_other_partitions() {
        // Given
        List<Task> tasks = onePerPartition(tag());
        Task local = client.createTask(NewTask.titled("local dependent").parent(tasks.get(0).id())
                .dependsOn(List.of(tasks.get(0).id(), tasks.get(1).id())));
        client.claim(tasks.get(0).id(), "w");
        client.complete(tasks.get(0).id(), "w");

        // When
        JsonNode check = http.get("/admin/check").body();

        // Then
        assertThat(check.path("problems")).isEmpty();
        assertThat(check.path("consistent").asBoolean()).isTrue();
        assertThat(client.getTask(local.id()).openDependencies()).containsExactly(tasks.get(1).id());
    }

    @Test
    void mcp_create_task_and_update_task_take_depends_on() {
        // Given
        List<Task> tasks = onePerPartition(tag());
        try (McpHttpClient mcp = new McpHttpClient(app.baseUrl())) {
            mcp.initialize();

            // When
            JsonNode created = mcp.ok("create_task", "{\"title\": \"after both\", \"depends_on\": [%d, %d]}"
                    .formatted(tasks.get(0).id(), tasks.get(1).id()));
            JsonNode updated = mcp.ok("update_task", "{\"id\": %d, \"updates\": {\"depends_on\": [%d]}}"
                    .formatted(created.get("id").asLong(), tasks.get(2).id()));
            McpClient.ToolResult cycle = mcp.call("update_task", "{\"id\": %d, \"updates\": {\"depends_on\": [%d]}}"
                    .formatted(tasks.get(2).id(), created.get("id").asLong()));

            // Then
            assertThat(created.get("depends_on")).extracting(JsonNode::asLong)
                    .containsExactly(tasks.get(0).id(), tasks.get(1).id());
            assertThat(created.get("ready").asBoolean()).isFalse();
            assertThat(updated.get("depends_on")).extracting(JsonNode::asLong).containsExactly(tasks.get(2).id());
            assertThat(cycle.isError()).isTrue();
            assertThat(cycle.text()).startsWith("depends_on would make a cycle: " + tasks.get(2).id() + " -> "
                    + created.get("id").asLong() + " -> " + tasks.get(2).id());
        }
    }
}
