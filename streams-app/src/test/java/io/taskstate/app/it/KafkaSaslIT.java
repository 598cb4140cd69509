package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.TaskStateServer;
import io.taskstate.app.broker.EmbeddedKafka;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Against a broker that requires SASL (PLAIN on a SASL_PLAINTEXT listener), the {@code KAFKA_*}
 * security settings reach every client the app makes (topic admin, Streams and its admin, the HTTP
 * writer, the MCP client) and the SDK's; without them, or with a wrong password, the start fails
 * within the configured timeouts, saying authentication is the likely cause.
 */
class KafkaSaslIT {
    private static final String USER = "agent";
    private static final String PASSWORD = "pw-" + UUID.randomUUID();
    private static EmbeddedKafka broker;

    @BeforeAll
    static void startBroker() throws IOException {
        broker = EmbeddedKafka.startWithSaslPlain(Files.createTempDirectory("taskstate-sasl-broker"), 0, 0,
                Map.of(USER, PASSWORD));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void with_credentials_the_app_starts_and_serves_a_create_and_a_get() throws IOException {
        Map<String, String> settings = settings();
        settings.putAll(credentials(PASSWORD));
        try (TaskStateServer server = TaskStateServer.start(TaskStateConfig.from(settings))) {
            await("ready").atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .until(() -> new Http(server.baseUrl()).get("/health/ready").status() == 200);

            // the HTTP API writes through its own SASL client and reads from Streams
            Http http = new Http(server.baseUrl());
            Http.Response created = http.post("/api/v1/tasks", "{\"title\":\"over SASL\"}");
            assertThat(created.status()).as("%s", created.body()).isEqualTo(201);
            long id = created.body().get("id").asLong();
            assertThat(http.get("/api/v1/tasks/" + id).body().get("title").asText()).isEqualTo("over SASL");

            // the MCP tools' client inside the server
            try (McpHttpClient mcp = new McpHttpClient(server.baseUrl())) {
                mcp.initialize();
                long viaMcp = mcp.ok("create_task", "{\"title\": \"over SASL via MCP\"}").get("id").asLong();
                assertThat(mcp.ok("get_task", "{\"id\": " + viaMcp + "}").get("title").asText()).isEqualTo("over SASL via MCP");
            }

            // the SDK's producer and reply consumer, with the same settings
            try (TaskStateClient client = TaskStateClient.builder()
                    .bootstrapServers(broker.bootstrapServers())
                    .baseUrl(server.baseUrl())
                    .topicPrefix(settings.get(TaskStateConfig.TOPIC_PREFIX))
                    .timeout(Duration.ofSeconds(20))
                    .kafkaProperties(Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                            "sasl.jaas.config", EmbeddedKafka.plainLogin(USER, PASSWORD)))
                    .build()) {
                Task task = client.createTask(NewTask.titled("from the SDK over SASL"));
                assertThat(client.getTask(task.id()).title()).isEqualTo("from the SDK over SASL");
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // a hang is the failure this test guards against
    void without_credentials_the_start_fails_naming_authentication() throws IOException {
        Map<String, String> settings = settings();
        settings.put("KAFKA_DEFAULT_API_TIMEOUT_MS", "5000");
        settings.put("KAFKA_REQUEST_TIMEOUT_MS", "4000");

        assertThatThrownBy(() -> TaskStateServer.start(TaskStateConfig.from(settings)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Cannot list topics on " + broker.bootstrapServers())
                .hasMessageContaining("requires authentication (SASL)")
                .hasMessageContaining("KAFKA_SASL_JAAS_CONFIG");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void with_a_wrong_password_the_start_fails_naming_authentication() throws IOException {
        Map<String, String> settings = settings();
        settings.putAll(credentials("not-the-password"));
        settings.put("KAFKA_DEFAULT_API_TIMEOUT_MS", "5000");
        settings.put("KAFKA_REQUEST_TIMEOUT_MS", "4000");

        assertThatThrownBy(() -> TaskStateServer.start(TaskStateConfig.from(settings)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Authentication failed")
                .message().doesNotContain("not-the-password");
    }

    private static Map<String, String> settings() throws IOException {
        String name = "s" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createTempDirectory("taskstate-sasl-" + name);
        Map<String, String> settings = new HashMap<>();
        settings.put(TaskStateConfig.BOOTSTRAP, broker.bootstrapServers());
        settings.put(TaskStateConfig.HTTP_PORT, "0");
        settings.put(TaskStateConfig.DATA_DIR, dir.toString());
        settings.put(TaskStateConfig.PARTITIONS, "2");
        settings.put(TaskStateConfig.REPLICATION_FACTOR, "1");
        settings.put(TaskStateConfig.TOPIC_PREFIX, name + ".");
        settings.put(TaskStateConfig.APPLICATION_ID, name);
        return settings;
    }

    private static Map<String, String> credentials(String password) {
        return Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SASL_JAAS_CONFIG", EmbeddedKafka.plainLogin(USER, password));
    }
}
