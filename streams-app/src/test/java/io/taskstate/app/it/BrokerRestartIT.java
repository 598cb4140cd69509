package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.broker.EmbeddedKafka;
import io.taskstate.app.testing.FreePorts;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Task;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away under load and comes back on the same log directory and port. SDK calls
 * made meanwhile time out with an exception naming their command id; retried with that id they
 * are applied once when the broker is back, and the app resumes on its own. The test runs its own
 * broker (the shared one must not stop) and the app in this JVM.
 */
class BrokerRestartIT {
    private static final int PARTITIONS = 3;
    private static final int CLIENTS = 3;
    private static final int LANES_PER_CLIENT = 8;
    private static final int JOBS = 500;
    private static final int STOP_AFTER = 600;
    private static final Duration SDK_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(2);
    private static final Duration LOAD_DEADLINE = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    private final String run = "b" + UUID.randomUUID().toString().substring(0, 8);
    private final List<TaskStateClient> clients = new ArrayList<>();
    private EmbeddedKafka broker;
    private RunningApp app;

    @AfterEach
    void stopEverything() {
        clients.forEach(TaskStateClient::close);
        if (app != null) {
            app.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void commands_sent_while_the_broker_restarts_time_out_naming_their_id_and_a_retry_applies_them_once() {
        // Given a broker of this test's own, the app on it, and three SDK clients pipelining 500 jobs of four commands
        int[] ports = FreePorts.take(2);
        broker = EmbeddedKafka.start(dir.resolve("broker"), ports[0], ports[1]);
        app = RunningApp.start(broker.bootstrapServers(), PARTITIONS, Map.of(TaskStateConfig.INSTANCE_TIMEOUT, "PT1H"));
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(TaskStateClient.builder().bootstrapServers(broker.bootstrapServers()).baseUrl(app.baseUrl())
                    .topicPrefix(app.topicPrefix()).timeout(SDK_TIMEOUT).build());
        }
        CommandLoad load = new CommandLoad(clients, run, JOBS, LANES_PER_CLIENT, GIVE_UP_AFTER).start();

        // When the broker stops mid-load, stays down until calls have timed out, and starts again on the same directory and port
        await("the first " + STOP_AFTER + " acknowledgements").atMost(LOAD_DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> load.acknowledged() >= STOP_AFTER || load.finished());
        long acknowledgedAtStop = load.acknowledged();
        long stoppedAt = System.nanoTime();
        broker.close();
        broker = null;
        await("SDK calls time out while the broker is down").atMost(LOAD_DEADLINE).until(() -> load.timeouts() > 0);
        long downFor = System.nanoTime() - stoppedAt;
        broker = EmbeddedKafka.start(dir.resolve("broker"), ports[0], ports[1]);
        long restartedAt = System.nanoTime();
        boolean finished = load.awaitFinished(LOAD_DEADLINE);
        long finishedAt = System.nanoTime();

        // Then every command was acknowledged once retried, and the final tasks show each exactly once
        List<Task> tasks = await("every task listed").atMost(LOAD_DEADLINE).ignoreException(TaskStateException.Unavailable.class)
                .until(() -> clients.get(0).queryTasks(TaskQuery.all().pageSize(1000)).toList(), t -> true);
        CommandLoad.Outcome outcome = load.verify(tasks);
        System.out.printf("BrokerRestartIT: broker stopped after %d of %d commands acknowledged, down %d ms; the load "
                        + "finished %d ms after the broker was back%n", acknowledgedAtStop, load.commands(), millis(downFor),
                millis(finishedAt - restartedAt));
        System.out.printf("BrokerRestartIT: %d commands acknowledged, %d applied, %d SDK timeouts (each naming its command id), "
                        + "%d retries, %d given up, %d problems%n", outcome.acknowledged(), outcome.applied(), load.timeouts(),
                load.retries(), load.givenUp().size(), outcome.problems().size());
        assertThat(finished).as("every job ended within %s", LOAD_DEADLINE).isTrue();
        assertThat(outcome.problems()).as("no command applied twice, every timeout naming its command id").isEmpty();
        assertThat(load.givenUp()).as("commands never acknowledged").isEmpty();
        assertThat(acknowledgedAtStop).as("stopped mid-load").isLessThan(load.commands());
        assertThat(outcome.acknowledged()).isEqualTo(load.commands());
        assertThat(outcome.applied()).isEqualTo(load.commands());
        assertThat(tasks).hasSize(JOBS);
        Http.Response check = new Http(app.baseUrl()).get("/api/v1/admin/check");
        assertThat(check.body().get("problems")).as("consistency check after the broker restart").isEmpty();
        assertThat(check.body().get("tasks").asLong()).isEqualTo(JOBS);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
