package io.taskstate.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import io.taskstate.protocol.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK's command path without a broker: what a write puts on {@code task-commands} (topic,
 * partition, key, envelope), and how the reply on {@code replies} completes or fails the call.
 * Commands go to a {@link MockProducer}, replies come from a {@link MockConsumer}.
 */
class CommandPathTest {
    private static final String PREFIX = "unit.";
    private static final String COMMANDS = Topic.TASK_COMMANDS.name(PREFIX);
    private static final String REPLIES = Topic.REPLIES.name(PREFIX);
    private static final int PARTITIONS = 4;
    private static final int REPLY_PARTITIONS = 3;
    private static final String CLIENT_ID = "agent-7";

    /** The reply consumer of the client made last. */
    private MockConsumer<String, byte[]> replies;
    private final List<TaskStateClient> clients = new ArrayList<>();
    private long replyOffset;

    @AfterEach
    void close() {
        clients.forEach(TaskStateClient::close);
    }

    @Test
    void a_root_create_goes_to_the_partition_its_command_id_hashes_to_and_so_does_its_retry() {
        String commandId = UUID.randomUUID().toString();
        MockProducer<String, byte[]> before = producer(true);
        MockProducer<String, byte[]> afterRestart = producer(true);

        client(before, Duration.ofSeconds(10)).createTaskAsync(NewTask.titled("Process dataset A"), commandId);
        client(afterRestart, Duration.ofSeconds(10)).createTaskAsync(NewTask.titled("Process dataset A"), commandId);

        int expected = Partitioning.partitionOfKey(commandId, PARTITIONS);
        assertThat(List.of(before.history().get(0), afterRestart.history().get(0))).allSatisfy(record -> {
            assertThat(record.topic()).isEqualTo(COMMANDS);
            assertThat(record.partition()).isEqualTo(expected);
            assertThat(record.key()).isEqualTo(commandId);
        });
    }

    @Test
    void root_creates_spread_over_the_partitions() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        IntStream.range(0, 40).forEach(i -> client.createTaskAsync(NewTask.titled("root " + i)));

        assertThat(producer.history()).hasSize(40).allSatisfy(record -> assertThat(record.partition())
                .isEqualTo(Partitioning.partitionOfKey(record.key(), PARTITIONS)));
        assertThat(producer.history().stream().map(ProducerRecord::partition).distinct().count()).isGreaterThan(1);
    }

    @Test
    void a_subtask_create_goes_to_its_parents_partition() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        client.createTaskAsync(NewTask.titled("Implement JWT").parent(7), "cmd-subtask");
        client.createTaskAsync(NewTask.titled("Login endpoints").parent(12), "cmd-subtask-2");

        assertThat(producer.history()).extracting(ProducerRecord::partition)
                .containsExactly((7 - 1) % PARTITIONS, (12 - 1) % PARTITIONS);
        assertThat(producer.history()).extracting(ProducerRecord::key).containsExactly("cmd-subtask", "cmd-subtask-2");
    }

    @Test
    void an_update_goes_to_the_tasks_home_partition_keyed_by_its_id() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        client.updateTaskAsync(10, TaskUpdate.of().status(TaskStatus.IN_PROGRESS));
        client.deleteTaskAsync(3);

        assertThat(producer.history()).extracting(ProducerRecord::partition)
                .containsExactly((10 - 1) % PARTITIONS, (3 - 1) % PARTITIONS);
        assertThat(producer.history()).extracting(ProducerRecord::key).containsExactly("10", "3");
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsOnly(COMMANDS);
    }

    @Test
    void a_create_envelope_names_the_command_the_client_and_carries_only_the_fields_set() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        client.createTaskAsync(NewTask.titled("Design database schema").priority(Priority.HIGH).parent(7)
                .metadata(Map.of("estimate", "30min")), "cmd-create-1");

        JsonNode envelope = envelope(producer.history().get(0));
        assertThat(fieldNames(envelope)).containsExactlyInAnyOrder("command_id", "client_id", "type", "task_id", "payload", "expect",
                "issued_at");
        assertThat(java.time.Instant.parse(envelope.get("issued_at").asText())).isBeforeOrEqualTo(java.time.Instant.now());
        assertThat(envelope.get("command_id").asText()).isEqualTo("cmd-create-1");
        assertThat(envelope.get("client_id").asText()).isEqualTo(CLIENT_ID);
        assertThat(envelope.get("type").asText()).isEqualTo("create_task");
        assertThat(envelope.get("task_id").isNull()).isTrue();
        assertThat(envelope.get("expect").isNull()).isTrue();
        assertThat(envelope.get("payload")).isEqualTo(json(
                "{\"title\":\"Design database schema\",\"priority\":\"high\",\"parent_task_id\":7,\"metadata\":{\"estimate\":\"30min\"}}"));
    }

    @Test
    void an_update_envelope_carries_the_task_id_the_changed_fields_and_the_expectation() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        client.updateTaskAsync(10, TaskUpdate.of().status(TaskStatus.IN_PROGRESS).assignee("worker-1")
                .expect("status", TaskStatus.PENDING), "cmd-claim");

        JsonNode envelope = envelope(producer.history().get(0));
        assertThat(envelope.get("type").asText()).isEqualTo("update_task");
        assertThat(envelope.get("task_id").asLong()).isEqualTo(10);
        assertThat(envelope.get("payload")).isEqualTo(json("{\"status\":\"in_progress\",\"assignee\":\"worker-1\"}"));
        assertThat(envelope.get("expect")).isEqualTo(json("{\"status\":\"pending\"}"));
    }

    @Test
    void claim_release_and_complete_carry_the_callers_command_id_so_a_retry_is_applied_once() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        client.claimAsync(10, "worker-1", Duration.ofMinutes(10), "cmd-claim-10");
        client.releaseAsync(10, "worker-1", false, "cmd-release-10");
        client.completeAsync(10, "worker-1", Map.of("rows", 1200), false, "cmd-complete-10");

        assertThat(producer.history()).extracting(r -> envelope(r).get("type").asText() + " " + envelope(r).get("command_id").asText())
                .containsExactly("claim_task cmd-claim-10", "release_task cmd-release-10", "complete_task cmd-complete-10");
        assertThat(producer.history()).extracting(ProducerRecord::partition)
                .containsOnly(Partitioning.partitionOfTask(10, PARTITIONS));
    }

    @Test
    void a_delete_envelope_has_an_empty_payload() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        client.deleteTaskAsync(3, "cmd-delete");

        JsonNode envelope = envelope(producer.history().get(0));
        assertThat(envelope.get("type").asText()).isEqualTo("delete_task");
        assertThat(envelope.get("task_id").asLong()).isEqualTo(3);
        assertThat(envelope.get("payload")).isEqualTo(json("{}"));
        assertThat(envelope.get("expect").isNull()).isTrue();
    }

    @Test
    void the_reply_to_the_command_completes_the_call_with_its_task() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));
        CompletableFuture<Task> created = client.createTaskAsync(NewTask.titled("Review code changes"));

        reply(Reply.ok(command(producer, 0), task(5, "Review code changes")));

        Task task = created.join();
        assertThat(task.id()).isEqualTo(5);
        assertThat(task.title()).isEqualTo("Review code changes");
        assertThat(task.status()).isEqualTo(TaskStatus.PENDING);
    }

    @Test
    void replies_addressed_to_another_client_are_ignored() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));
        CompletableFuture<Task> created = client.createTaskAsync(NewTask.titled("mine"));
        String commandId = command(producer, 0).commandId();

        // a reply for the same command id, but keyed by another client, lands first on the shared partition
        addReply("someone-else", new Reply(commandId, "someone-else", Outcome.CONFLICT, "not yours", null));
        reply(new Reply(commandId, CLIENT_ID, Outcome.OK, null, task(5, "mine")));

        assertThat(created.join().title()).isEqualTo("mine");
    }

    @Test
    void a_retry_while_the_first_attempt_is_in_flight_shares_its_reply_without_sending_again() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));

        CompletableFuture<Task> first = client.createTaskAsync(NewTask.titled("once"), "cmd-once");
        CompletableFuture<Task> retry = client.createTaskAsync(NewTask.titled("once"), "cmd-once");
        reply(Reply.ok(command(producer, 0), task(9, "once")));

        assertThat(producer.history()).hasSize(1);
        assertThat(first.join().id()).isEqualTo(9);
        assertThat(retry.join().id()).isEqualTo(9);
    }

    @Test
    void refusals_are_typed_exceptions_that_carry_the_reason_and_the_command_id() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));
        CompletableFuture<Task> missing = client.updateTaskAsync(404, TaskUpdate.of().title("x"), "cmd-missing");
        CompletableFuture<Task> invalid = client.updateTaskAsync(1, TaskUpdate.of().set("colour", "red"), "cmd-invalid");
        CompletableFuture<Task> conflict = client.updateTaskAsync(2, TaskUpdate.of().assignee("b").expect("status", "pending"), "cmd-conflict");

        reply(new Reply("cmd-missing", CLIENT_ID, Outcome.NOT_FOUND, "Task 404 not found", null));
        reply(new Reply("cmd-invalid", CLIENT_ID, Outcome.INVALID, "Invalid field: colour", null));
        reply(new Reply("cmd-conflict", CLIENT_ID, Outcome.CONFLICT, "Task 2 is in_progress, expected pending", null));

        assertThatThrownBy(missing::join).isInstanceOf(CompletionException.class).cause()
                .isInstanceOf(TaskStateException.NotFound.class).hasMessage("Task 404 not found")
                .extracting(e -> ((TaskStateException) e).commandId()).isEqualTo("cmd-missing");
        assertThatThrownBy(invalid::join).cause().isInstanceOf(TaskStateException.Invalid.class)
                .hasMessage("Invalid field: colour");
        assertThatThrownBy(conflict::join).cause().isInstanceOf(TaskStateException.Conflict.class)
                .extracting(e -> ((TaskStateException) e).commandId()).isEqualTo("cmd-conflict");
    }

    @Test
    void no_reply_in_time_is_a_timeout_that_names_the_command_id_to_retry_with() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofMillis(200));

        CompletableFuture<Task> unanswered = client.createTaskAsync(NewTask.titled("nobody answers"), "cmd-lost");

        assertThatThrownBy(unanswered::join).cause().isInstanceOf(TaskStateException.Timeout.class)
                .hasMessageContaining("cmd-lost").hasMessageContaining("retry with the same command id")
                .extracting(e -> ((TaskStateException) e).commandId()).isEqualTo("cmd-lost");
    }

    @Test
    void a_retry_made_as_soon_as_the_timeout_is_seen_is_sent_again() {
        MockProducer<String, byte[]> producer = producer(true);
        TaskStateClient client = client(producer, Duration.ofMillis(200));

        CompletableFuture<Task> retried = client.createTaskAsync(NewTask.titled("retry me"), "cmd-retry")
                .exceptionallyCompose(timeout -> client.createTaskAsync(NewTask.titled("retry me"), "cmd-retry"));

        assertThatThrownBy(retried::join).cause().isInstanceOf(TaskStateException.Timeout.class);
        assertThat(producer.history()).hasSize(2);
        assertThat(producer.history()).extracting(r -> envelope(r).get("command_id").asText()).containsOnly("cmd-retry");
    }

    @Test
    void a_command_the_producer_cannot_write_fails_with_the_command_id_and_the_cause_chained() {
        MockProducer<String, byte[]> producer = producer(false);
        TaskStateClient client = client(producer, Duration.ofSeconds(10));
        CompletableFuture<Task> created = client.createTaskAsync(NewTask.titled("never written"), "cmd-unwritten");
        RuntimeException brokerDown = new org.apache.kafka.common.KafkaException("broker unreachable");

        producer.errorNext(brokerDown);

        assertThatThrownBy(created::join).cause().isInstanceOf(TaskStateException.class)
                .hasMessageContaining("cmd-unwritten").hasRootCauseMessage("broker unreachable")
                .extracting(e -> ((TaskStateException) e).commandId()).isEqualTo("cmd-unwritten");
    }



    // ---- fixtures

    private TaskStateClient client(MockProducer<String, byte[]> producer, Duration timeout) {
        replies = new MockConsumer<>("latest");
        List<PartitionInfo> replyPartitions = IntStream.range(0, REPLY_PARTITIONS)
                .mapToObj(p -> new PartitionInfo(REPLIES, p, null, null, null)).toList();
        replies.updatePartitions(REPLIES, replyPartitions);
        Map<TopicPartition, Long> ends = new HashMap<>();
        replyPartitions.forEach(p -> ends.put(new TopicPartition(REPLIES, p.partition()), 0L));
        replies.updateEndOffsets(ends);
        TaskStateClient client = TaskStateClient.builder().clientId(CLIENT_ID).topicPrefix(PREFIX).timeout(timeout)
                .producer(producer).replyConsumer(replies).build();
        clients.add(client);
        return client;
    }

    private static MockProducer<String, byte[]> producer(boolean autoComplete) {
        Node broker = new Node(1, "127.0.0.1", 9092);
        List<PartitionInfo> partitions = IntStream.range(0, PARTITIONS)
                .mapToObj(p -> new PartitionInfo(COMMANDS, p, broker, new Node[] {broker}, new Node[] {broker})).toList();
        Cluster cluster = new Cluster("unit", List.of(broker), partitions, Set.of(), Set.of());
        return new MockProducer<>(cluster, autoComplete, null, new StringSerializer(), new ByteArraySerializer());
    }

    /** Answers a command as the app would: on this client's partition of the replies topic, keyed by its id. */
    private void reply(Reply reply) {
        addReply(CLIENT_ID, reply);
    }

    private void addReply(String key, Reply reply) {
        int partition = Partitioning.partitionOfKey(CLIENT_ID, REPLY_PARTITIONS);
        replies.addRecord(new ConsumerRecord<>(REPLIES, partition, replyOffset++, key, Json.bytes(reply)));
    }

    private static Command command(MockProducer<String, byte[]> producer, int index) {
        return Json.read(producer.history().get(index).value(), Command.class);
    }

    private static JsonNode envelope(ProducerRecord<String, byte[]> record) {
        try {
            return Json.tree(record.value());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode task(long id, String title) {
        return json("{\"id\":" + id + ",\"title\":\"" + title + "\",\"description\":null,\"status\":\"pending\","
                + "\"priority\":\"medium\",\"assignee\":null,\"parent_task_id\":null,\"subtask_ids\":[],\"metadata\":{},"
                + "\"created_at\":\"2025-01-01T00:00:00Z\",\"updated_at\":\"2025-01-01T00:00:00Z\",\"completed_at\":null}");
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
