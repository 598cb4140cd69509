package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskstate.app.testing.ChildJvm;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import io.taskstate.protocol.Topic;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that dies after its command reached the broker and before the reply reached it: the
 * command is applied by the app all the same, and the caller's retry with the same command id,
 * from a new process, changes nothing and gets the first reply. The dying client is a separate
 * JVM ({@link CrashingClient}) that halts the moment the broker acknowledges its write.
 */
@ExtendWith(KafkaBroker.class)
class ClientCrashIT {
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(60);
    private static final Duration REPLY_DEADLINE = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    private static RunningApp app;
    private static TaskStateClient retrying;
    private static ChildJvm.Launcher launcher;

    @BeforeAll
    static void start() {
        app = RunningApp.start(3);
        retrying = app.client();
        launcher = new ChildJvm.Launcher(dir);
    }

    @AfterAll
    static void stop() {
        retrying.close();
        app.close();
    }

    @Test
    void a_create_whose_client_died_before_the_reply_creates_one_task_when_retried_with_its_command_id() throws Exception {
        // Given a client that sent a create and died before the reply
        String title = "created by a client that died " + UUID.randomUUID();
        String commandId = "create-" + UUID.randomUUID();
        String deadClient = crash(commandId, "create", title);

        // When the caller retries the same command id from another process
        Task retried = retrying.createTaskAsync(NewTask.titled(title), commandId).get();

        // Then there is one task with that title, and the retry got the first reply
        assertThat(retrying.queryTasks(TaskQuery.all().titleContains(title)).toList()).containsExactly(retried);
        assertThat(firstReply(deadClient, commandId)).isEqualTo(retried);
        System.out.printf("ClientCrashIT: create sent by a client that died before its reply, retried: 2 sent, 1 applied (task %d)%n",
                retried.id());
    }

    @Test
    void a_claim_whose_client_died_before_the_reply_is_held_once_and_its_retry_gets_the_first_outcome() throws Exception {
        // Given a pending task, and a worker that sent a claim of it and died before the reply
        Task task = retrying.createTask(NewTask.titled("claimed by a worker that died " + UUID.randomUUID()));
        String commandId = "claim-" + UUID.randomUUID();
        String deadClient = crash(commandId, "claim", Long.toString(task.id()), "worker-that-died");

        // When the worker's retry, from a new process, sends the same claim again
        Task retried = retrying.claimAsync(task.id(), "worker-that-died", null, commandId).get();

        // Then the retry is the first claim's success, not a conflict with itself, and the task is held once
        assertThat(retried.status()).isEqualTo(TaskStatus.IN_PROGRESS);
        assertThat(retried.assignee()).isEqualTo("worker-that-died");
        assertThat(firstReply(deadClient, commandId)).isEqualTo(retried);
        assertThat(retrying.getTask(task.id())).isEqualTo(retried);
        assertThatThrownBy(() -> retrying.claimAsync(task.id(), "another-worker", null, "claim-" + UUID.randomUUID()).join())
                .cause().isInstanceOf(TaskStateException.Conflict.class);
        System.out.printf("ClientCrashIT: claim sent by a client that died before its reply, retried: 2 sent, 1 applied%n");
    }

    /** Runs {@link CrashingClient} with one command and waits until it halted after the broker took it; returns its client id. */
    private String crash(String commandId, String... command) {
        String clientId = "dying-" + UUID.randomUUID();
        List<String> args = new java.util.ArrayList<>(List.of(app.server().bootstrapServers(), app.topicPrefix(), clientId, commandId));
        args.addAll(List.of(command));
        ChildJvm client = launcher.run(CrashingClient.class, args, "crashing-client");
        boolean exited = client.awaitExit(EXIT_DEADLINE);
        if (!exited) {
            client.kill();
        }
        assertThat(exited).as("the crashing client exited within %s", EXIT_DEADLINE).isTrue();
        assertThat(client.process().exitValue()).as("exit code; log:%n%s", client.log()).isEqualTo(CrashingClient.HALTED_AFTER_SEND);
        assertThat(client.log()).contains(CrashingClient.SENT);
        return clientId;
    }

    /** The reply the app sent the dead client, read from the replies topic as a read-committed consumer sees it. */
    private static Task firstReply(String clientId, String commandId) {
        String topic = Topic.REPLIES.name(app.topicPrefix());
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, app.server().bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Instant deadline = Instant.now().plus(REPLY_DEADLINE);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Reply reply = Json.read(record.value(), Reply.class);
                    if (clientId.equals(record.key()) && commandId.equals(reply.commandId())) {
                        return Json.convert(reply.result(), Task.class);
                    }
                }
            }
        }
        throw new AssertionError("No reply to " + commandId + " for client " + clientId + " on " + topic + " within " + REPLY_DEADLINE);
    }
}
