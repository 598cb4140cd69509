package io.taskstate.app.it;

import io.taskstate.app.testing.FreePorts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.Main;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Partitioning;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * taskstate as a user runs it: {@code taskstate serve} in its own JVM, in the default embedded
 * mode (its own KRaft broker, no {@code KAFKA_BOOTSTRAP_SERVERS}), stopped by {@code kill -9} or
 * by Ctrl-C's SIGTERM and started again on the same data directory and ports. What it
 * acknowledged before is what it serves after.
 */
class CrashRestartIT {
    private static final int PARTITIONS = 3;
    private static final Duration READY_DEADLINE = Duration.ofSeconds(90);
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(60);
    private static final Duration READ_DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<ServerProcess> launched = new ArrayList<>();
    private int httpPort;
    private int kafkaPort;
    private int controllerPort;
    private Http http;

    /** Runs before {@code @AfterEach}, while the server logs are still being written. */
    @RegisterExtension
    final AfterTestExecutionCallback printServerLogsOnFailure = context -> {
        if (context.getExecutionException().isPresent()) {
            launched.forEach(ServerProcess::printLog);
        }
    };

    @BeforeEach
    void choosePorts() {
        int[] ports = FreePorts.take(3);
        httpPort = ports[0];
        kafkaPort = ports[1];
        controllerPort = ports[2];
        http = new Http("http://127.0.0.1:" + httpPort);
    }

    @AfterEach
    void killEveryServer() {
        launched.forEach(ServerProcess::kill);
    }

    @Test
    void every_task_survives_a_kill_9_and_the_restart_comes_back_within_seconds() {
        // Given a server that acknowledged root tasks on every partition, subtasks of each, and an update
        ServerProcess first = launch();
        awaitReady(first);
        Map<Long, ObjectNode> acknowledged = new LinkedHashMap<>();
        Map<Integer, Long> rootOfPartition = new LinkedHashMap<>();
        for (int n = 0; n < 50 && rootOfPartition.size() < PARTITIONS; n++) {
            ObjectNode root = create("{\"title\":\"project " + n + "\",\"priority\":\"high\","
                    + "\"description\":\"survives kill -9\",\"metadata\":{\"attempt\":" + n + "}}");
            acknowledged.put(id(root), root);
            rootOfPartition.putIfAbsent(Partitioning.partitionOfTask(id(root), PARTITIONS), id(root));
        }
        assertThat(rootOfPartition).as("root tasks on every partition").hasSize(PARTITIONS);
        long lastSubtask = 0;
        for (long parentId : rootOfPartition.values()) {
            for (int s = 0; s < 2; s++) {
                ObjectNode subtask = create("{\"title\":\"step " + s + " of " + parentId + "\",\"parent_task_id\":"
                        + parentId + ",\"assignee\":\"agent-" + s + "\"}");
                acknowledged.put(id(subtask), subtask);
                ((ArrayNode) acknowledged.get(parentId).get("subtask_ids")).add(subtask.get("id"));
                lastSubtask = id(subtask);
            }
        }
        Http.Response updated = http.patch("/api/v1/tasks/" + lastSubtask, "{\"status\":\"completed\"}");
        assertThat(updated.status()).as("PATCH %d: %s", lastSubtask, updated.body()).isEqualTo(200);
        acknowledged.put(lastSubtask, (ObjectNode) updated.body());

        // When it is killed with SIGKILL right after the last acknowledgement, and started again
        long killedAt = System.nanoTime();
        first.killForcibly();
        long exitedAt = System.nanoTime();
        ServerProcess second = launch();
        awaitReady(second);
        long readyAt = System.nanoTime();
        System.out.printf("CrashRestartIT: kill -9 -> ready in %d ms (the old JVM was gone after %d ms; "
                        + "the new one was ready %d ms after launch)%n",
                millis(readyAt - killedAt), millis(exitedAt - killedAt), millis(readyAt - second.launchedAt));

        // Then every acknowledged task is served exactly as acknowledged, subtask lists included
        for (Map.Entry<Long, ObjectNode> task : acknowledged.entrySet()) {
            assertThat(read(task.getKey())).as("task %d after the restart", task.getKey()).isEqualTo(task.getValue());
        }
        for (long parentId : rootOfPartition.values()) {
            List<Long> expected = ids(acknowledged.get(parentId).get("subtask_ids"));
            assertThat(ids(read(parentId).get("subtask_ids"))).as("subtask_ids of %d", parentId)
                    .hasSize(2).containsExactlyElementsOf(expected);
            assertThat(ids(query("/api/v1/tasks?parent_task_id=" + parentId).get("tasks"), "id"))
                    .as("the parent index of %d", parentId).containsExactlyInAnyOrderElementsOf(expected);
        }
        // and new tasks, on every partition, get ids never handed out before
        Set<Long> fresh = new HashSet<>();
        for (long parentId : rootOfPartition.values()) {
            fresh.add(id(create("{\"title\":\"after the crash, under " + parentId + "\",\"parent_task_id\":" + parentId + "}")));
        }
        for (int n = 0; n < 3; n++) {
            fresh.add(id(create("{\"title\":\"after the crash " + n + "\"}")));
        }
        assertThat(fresh).hasSize(PARTITIONS + 3).doesNotContainAnyElementsOf(acknowledged.keySet());
        Http.Response check = http.get("/api/v1/admin/check");
        assertThat(check.body().get("problems")).as("consistency check after the crash").isEmpty();
        assertThat(check.status()).isEqualTo(200);
        assertThat(check.body().get("tasks").asLong()).isEqualTo(acknowledged.size() + fresh.size());
    }

    @Test
    void ctrl_c_shuts_everything_down_cleanly() {
        // Given a server with a task and its subtask
        ServerProcess first = launch();
        awaitReady(first);
        ObjectNode parent = create("{\"title\":\"Build User Authentication System\",\"priority\":\"critical\"}");
        ObjectNode subtask = create("{\"title\":\"Design database schema\",\"parent_task_id\":" + id(parent) + "}");
        ((ArrayNode) parent.get("subtask_ids")).add(subtask.get("id"));

        // When it gets SIGTERM, what Ctrl-C sends, and runs its shutdown hook
        long stoppingAt = System.nanoTime();
        first.process.destroy();
        boolean exited = first.awaitExit(EXIT_DEADLINE);
        long stoppedAt = System.nanoTime();

        // Then it exits on its own: HTTP and Streams first, the embedded broker last, nothing failing to close
        if (!exited) {
            first.killForcibly();
        }
        assertThat(exited).as("exited within %s of SIGTERM", EXIT_DEADLINE).isTrue();
        System.out.printf("CrashRestartIT: SIGTERM -> exited in %d ms%n", millis(stoppedAt - stoppingAt));
        String log = first.log();
        assertThat(log).contains("-> NOT_RUNNING", "Embedded Kafka broker stopped").doesNotContainPattern("Closing the .+ failed");
        assertThat(log.indexOf("Embedded Kafka broker stopped")).as("the broker stops after Kafka Streams")
                .isGreaterThan(log.indexOf("-> NOT_RUNNING"));
        // and a restart on the same directory serves the same tasks
        ServerProcess second = launch();
        awaitReady(second);
        System.out.printf("CrashRestartIT: restart after SIGTERM ready %d ms after launch%n",
                millis(System.nanoTime() - second.launchedAt));
        assertThat(read(id(parent))).isEqualTo(parent);
        assertThat(read(id(subtask))).isEqualTo(subtask);
    }

    // ---- the server process

    private ServerProcess launch() {
        ServerProcess server = ServerProcess.start(dir.resolve("data"), dir.resolve("server-" + (launched.size() + 1) + ".log"),
                List.of("--http-port", Integer.toString(httpPort),
                        "--set", TaskStateConfig.EMBEDDED_KAFKA_PORT + "=" + kafkaPort,
                        "--set", TaskStateConfig.EMBEDDED_CONTROLLER_PORT + "=" + controllerPort,
                        "--set", TaskStateConfig.PARTITIONS + "=" + PARTITIONS));
        launched.add(server);
        return server;
    }

    private void awaitReady(ServerProcess server) {
        await("GET /health/ready == 200 on port " + httpPort).atMost(READY_DEADLINE).pollInterval(Duration.ofMillis(100))
                .ignoreException(UncheckedIOException.class)
                .until(() -> {
                    server.requireAlive();
                    return http.get("/health/ready").status() == 200;
                });
    }

    /** A separate JVM running {@code taskstate serve}; its stdout and stderr go to a file. */
    private static final class ServerProcess {
        final Process process;
        final Path logFile;
        final long launchedAt;

        private ServerProcess(Process process, Path logFile, long launchedAt) {
            this.process = process;
            this.logFile = logFile;
            this.launchedAt = launchedAt;
        }

        static ServerProcess start(Path dataDir, Path logFile, List<String> options) {
            // The test classpath holds logback-test.xml (root at WARN); the server logs as shipped.
            URL logback = Objects.requireNonNull(Main.class.getResource("/logback.xml"), "logback.xml of streams-app");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"),
                    "-Dlogback.configurationFile=" + logback,
                    Main.class.getName(), "serve", "--data-dir", dataDir.toString()));
            command.addAll(options);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            // Main reads every TASKSTATE_* and KAFKA_* variable; inheriting KAFKA_BOOTSTRAP_SERVERS would skip the embedded broker.
            builder.environment().keySet().removeIf(name -> name.startsWith("TASKSTATE_") || name.startsWith("KAFKA_"));
            try {
                long launchedAt = System.nanoTime();
                return new ServerProcess(builder.start(), logFile, launchedAt);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot launch " + command, e);
            }
        }

        void requireAlive() {
            if (!process.isAlive()) {
                throw new IllegalStateException("taskstate exited with code " + process.exitValue() + " before it was ready");
            }
        }

        boolean awaitExit(Duration deadline) {
            try {
                return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for taskstate to exit", e);
            }
        }

        /** SIGKILL, and wait until the process is gone. */
        void killForcibly() {
            process.destroyForcibly();
            if (!awaitExit(EXIT_DEADLINE)) {
                throw new IllegalStateException("taskstate (pid " + process.pid() + ") survived SIGKILL for " + EXIT_DEADLINE);
            }
        }

        void kill() {
            if (process.isAlive()) {
                killForcibly();
            }
        }

        String log() {
            try {
                return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void printLog() {
            System.out.println("----- " + logFile.getFileName() + " (pid " + process.pid() + ") -----");
            System.out.println(log());
        }
    }

    // ---- HTTP

    private ObjectNode create(String json) {
        Http.Response created = http.post("/api/v1/tasks", json);
        assertThat(created.status()).as("POST %s: %s", json, created.body()).isEqualTo(201);
        return (ObjectNode) created.body();
    }

    /** GET a task, waiting out a 503 while the stores are not queryable yet. */
    private JsonNode read(long id) {
        Http.Response response = await("GET task " + id).atMost(READ_DEADLINE)
                .until(() -> http.get("/api/v1/tasks/" + id), r -> r.status() != 503);
        assertThat(response.status()).as("GET task %d: %s", id, response.body()).isEqualTo(200);
        return response.body();
    }

    private JsonNode query(String path) {
        Http.Response response = await("GET " + path).atMost(READ_DEADLINE)
                .until(() -> http.get(path), r -> r.status() != 503);
        assertThat(response.status()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return response.body();
    }

    private static long id(JsonNode task) {
        return task.get("id").asLong();
    }

    private static List<Long> ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asLong).toList();
    }

    private static List<Long> ids(JsonNode tasks, String field) {
        return StreamSupport.stream(tasks.spliterator(), false).map(t -> t.get(field).asLong()).toList();
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
