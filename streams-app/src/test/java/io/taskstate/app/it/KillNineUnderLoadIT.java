package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.ChildJvm;
import io.taskstate.app.testing.FreePorts;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exactly-once guarantee under the fault it exists for: {@code kill -9} of the app process
 * while 10,000 commands from several SDK clients are in flight, then a restart on the same data
 * directory. The clients keep retrying each unanswered command with its command id, as the SDK
 * documents. Afterwards every acknowledged command is reflected exactly once, no id went to two
 * tasks, no reply is contradicted by the final state, and the indexes agree with the primary store.
 */
@ExtendWith(KafkaBroker.class)
class KillNineUnderLoadIT {
    private static final int PARTITIONS = 6;
    private static final int CLIENTS = 4;
    private static final int LANES_PER_CLIENT = 16;
    private static final int JOBS = 2_500;
    /** Acknowledged commands before the kill: the load is well under way, most of it still to come. */
    private static final int KILL_AFTER = 3_000;
    private static final Duration SDK_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(3);
    private static final Duration READY_DEADLINE = Duration.ofSeconds(120);
    private static final Duration LOAD_DEADLINE = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    private final String run = "k" + UUID.randomUUID().toString().substring(0, 8);
    private final List<ChildJvm> launched = new ArrayList<>();
    private final List<TaskStateClient> clients = new ArrayList<>();
    private int httpPort;
    private Http http;

    @RegisterExtension
    final AfterTestExecutionCallback printServerLogsOnFailure = context -> {
        if (context.getExecutionException().isPresent()) {
            launched.forEach(ChildJvm::printLog);
        }
    };

    @AfterEach
    void stopEverything() {
        clients.forEach(TaskStateClient::close);
        launched.forEach(ChildJvm::kill);
    }

    @Test
    void every_acknowledged_command_is_applied_exactly_once_across_a_kill_9_under_load() {
        // Given the app in its own process, and four SDK clients pipelining 2,500 jobs of four commands
        ChildJvm.Launcher launcher = new ChildJvm.Launcher(dir);
        httpPort = FreePorts.take(1)[0];
        http = new Http("http://127.0.0.1:" + httpPort);
        ChildJvm first = launch(launcher);
        awaitReady(first);
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(client());
        }
        CommandLoad load = new CommandLoad(clients, run, JOBS, LANES_PER_CLIENT, GIVE_UP_AFTER).start();

        // When the app is killed with SIGKILL mid-load and started again on the same data directory
        await("the first " + KILL_AFTER + " acknowledgements").atMost(LOAD_DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> load.acknowledged() >= KILL_AFTER || load.finished());
        long acknowledgedAtKill = load.acknowledged();
        long killedAt = System.nanoTime();
        first.killForcibly();
        ChildJvm second = launch(launcher);
        awaitReady(second);
        long readyAt = System.nanoTime();
        boolean finished = load.awaitFinished(LOAD_DEADLINE);

        // Then every command was acknowledged, and the final tasks show each exactly once
        List<Task> tasks = allTasks();
        CommandLoad.Outcome outcome = load.verify(tasks);
        System.out.printf("KillNineUnderLoadIT: kill -9 after %d of %d commands acknowledged; restart -> ready in %d ms "
                        + "(new JVM ready %d ms after launch)%n", acknowledgedAtKill, load.commands(),
                millis(readyAt - killedAt), millis(readyAt - second.launchedAt()));
        System.out.printf("KillNineUnderLoadIT: %d commands acknowledged, %d applied, %d retries (%d after a timeout), "
                        + "%d given up, %d problems%n", outcome.acknowledged(), outcome.applied(), load.retries(),
                load.timeouts(), load.givenUp().size(), outcome.problems().size());
        assertThat(finished).as("every job ended within %s", LOAD_DEADLINE).isTrue();
        assertThat(outcome.problems()).as("acknowledged commands applied exactly once, replies matching the final state")
                .isEmpty();
        assertThat(load.givenUp()).as("commands never acknowledged").isEmpty();
        assertThat(acknowledgedAtKill).as("killed mid-load").isLessThan(load.commands());
        assertThat(outcome.acknowledged()).isEqualTo(load.commands());
        assertThat(outcome.applied()).isEqualTo(load.commands());
        assertThat(tasks).hasSize(JOBS);
        // and the indexes agree with the primary store on every partition
        Http.Response check = http.get("/api/v1/admin/check");
        assertThat(check.body().get("problems")).as("consistency check after the crash").isEmpty();
        assertThat(check.status()).isEqualTo(200);
        assertThat(check.body().get("tasks").asLong()).isEqualTo(JOBS);
        // and new tasks, on every partition, get ids never handed out before
        assertThat(freshIdsOnEveryPartition(tasks)).doesNotContainAnyElementsOf(ids(tasks));
    }

    private Set<Long> freshIdsOnEveryPartition(List<Task> existing) {
        TaskStateClient client = clients.get(0);
        Map<Integer, Long> fresh = new LinkedHashMap<>();
        for (int n = 0; n < 200 && fresh.size() < PARTITIONS; n++) {
            Task task = client.createTask(NewTask.titled("after the crash " + n));
            fresh.putIfAbsent(Partitioning.partitionOfTask(task.id(), PARTITIONS), task.id());
        }
        assertThat(fresh).as("a fresh id on every partition").hasSize(PARTITIONS);
        return new HashSet<>(fresh.values());
    }

    private List<Task> allTasks() {
        return await("every task listed").atMost(READY_DEADLINE).ignoreException(TaskStateException.Unavailable.class)
                .until(() -> clients.get(0).queryTasks(TaskQuery.all().pageSize(1000)).toList(), t -> true);
    }

    private static Set<Long> ids(List<Task> tasks) {
        Set<Long> ids = new HashSet<>();
        tasks.forEach(t -> ids.add(t.id()));
        return ids;
    }

    private ChildJvm launch(ChildJvm.Launcher launcher) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(TaskStateConfig.BOOTSTRAP, KafkaBroker.bootstrapServers());
        settings.put(TaskStateConfig.TOPIC_PREFIX, run + ".");
        settings.put(TaskStateConfig.APPLICATION_ID, run);
        settings.put(TaskStateConfig.DATA_DIR, dir.resolve("data").toString());
        settings.put(TaskStateConfig.HTTP_PORT, Integer.toString(httpPort));
        settings.put(TaskStateConfig.PARTITIONS, Integer.toString(PARTITIONS));
        // The workers' claims create instances that never heartbeat; they must not expire during the run.
        settings.put(TaskStateConfig.INSTANCE_TIMEOUT, "PT1H");
        ChildJvm server = launcher.serve(settings, "server");
        launched.add(server);
        return server;
    }

    private void awaitReady(ChildJvm server) {
        await("GET /health/ready == 200 on port " + httpPort).atMost(READY_DEADLINE).pollInterval(Duration.ofMillis(100))
                .ignoreException(UncheckedIOException.class)
                .until(() -> {
                    server.requireAlive();
                    return http.get("/health/ready").status() == 200;
                });
    }

    private TaskStateClient client() {
        return TaskStateClient.builder()
                .bootstrapServers(KafkaBroker.bootstrapServers())
                .baseUrl("http://127.0.0.1:" + httpPort)
                .topicPrefix(run + ".")
                .timeout(SDK_TIMEOUT)
                .build();
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
