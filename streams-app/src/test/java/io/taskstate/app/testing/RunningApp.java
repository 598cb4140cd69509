package io.taskstate.app.testing;

import static org.awaitility.Awaitility.await;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.TaskStateServer;
import io.taskstate.client.TaskStateClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.KafkaStreams;

/**
 * A taskstate server for one test class, on the shared test broker, isolated by its own topic
 * prefix, application id, state directory and a free HTTP port.
 */
public final class RunningApp implements AutoCloseable {
    private final TaskStateServer server;
    private final String prefix;

    private RunningApp(TaskStateServer server, String prefix) {
        this.server = server;
        this.prefix = prefix;
    }

    public static RunningApp start(int partitions) {
        return start(partitions, Map.of());
    }

    public static RunningApp start(int partitions, Map<String, String> extra) {
        return start(KafkaBroker.bootstrapServers(), partitions, extra);
    }

    /** A server on the broker at {@code bootstrapServers} rather than the shared test broker. */
    public static RunningApp start(String bootstrapServers, int partitions, Map<String, String> extra) {
        String name = "t" + UUID.randomUUID().toString().substring(0, 8);
        Path dir;
        try {
            dir = Files.createTempDirectory("taskstate-" + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> settings = new HashMap<>(Map.of(
                TaskStateConfig.BOOTSTRAP, bootstrapServers,
                TaskStateConfig.HTTP_PORT, "0",
                TaskStateConfig.DATA_DIR, dir.toString(),
                TaskStateConfig.PARTITIONS, Integer.toString(partitions),
                TaskStateConfig.TOPIC_PREFIX, name + ".",
                TaskStateConfig.APPLICATION_ID, name));
        settings.putAll(extra);
        TaskStateServer server = TaskStateServer.start(TaskStateConfig.from(settings));
        RunningApp app = new RunningApp(server, settings.get(TaskStateConfig.TOPIC_PREFIX));
        await("Kafka Streams RUNNING").atMost(Duration.ofSeconds(60))
                .until(() -> server.streamsState() == KafkaStreams.State.RUNNING);
        await("ready").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> ready(server.baseUrl()));
        return app;
    }

    private static boolean ready(String baseUrl) throws Exception {
        java.net.http.HttpResponse<Void> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl + "/health/ready")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        return r.statusCode() == 200;
    }

    public String baseUrl() {
        return server.baseUrl();
    }

    public String topicPrefix() {
        return prefix;
    }

    public TaskStateServer server() {
        return server;
    }

    /** A new SDK client for this app; close it. */
    public TaskStateClient client() {
        return TaskStateClient.builder()
                .bootstrapServers(server.bootstrapServers())
                .baseUrl(baseUrl())
                .topicPrefix(prefix)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    @Override
    public void close() {
        server.close();
    }
}
