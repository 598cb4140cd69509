package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.ChildJvm;
import io.taskstate.app.testing.FreePorts;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code taskstate serve} with {@code TASKSTATE_LOG_FORMAT=json}, logging as shipped: every line
 * of its output is a JSON object, requests leave no line each, and the API token never shows.
 */
@ExtendWith(KafkaBroker.class)
class LogFormatIT {
    private static final String TOKEN = "write-" + UUID.randomUUID();

    @TempDir
    Path dir;
    private ChildJvm server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.kill();
        }
    }

    @Test
    void json_format_writes_one_json_object_a_line_without_request_lines_or_tokens() {
        int port = FreePorts.take(1)[0];
        String name = "t" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(TaskStateConfig.BOOTSTRAP, KafkaBroker.bootstrapServers());
        settings.put(TaskStateConfig.HTTP_PORT, Integer.toString(port));
        settings.put(TaskStateConfig.DATA_DIR, dir.resolve("data").toString());
        settings.put(TaskStateConfig.PARTITIONS, "1");
        settings.put(TaskStateConfig.TOPIC_PREFIX, name + ".");
        settings.put(TaskStateConfig.APPLICATION_ID, name);
        settings.put(TaskStateConfig.API_TOKENS, "write:" + TOKEN);
        settings.put(TaskStateConfig.LOG_FORMAT, "json");
        server = new ChildJvm.Launcher(dir).serve(settings, "server");
        Http http = new Http("http://127.0.0.1:" + port, TOKEN);
        await("ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreException(UncheckedIOException.class)
                .until(() -> {
                    server.requireAlive();
                    return http.get("/health/ready").status() == 200;
                });

        for (int i = 0; i < 20; i++) {
            assertThat(http.post("/api/v1/tasks", "{\"title\":\"logged? " + i + "\"}").status()).isEqualTo(201);
        }
        assertThat(http.get("/api/v1/tasks?status=nope").status()).isEqualTo(400);
        assertThat(new Http("http://127.0.0.1:" + port, "wrong-" + TOKEN).get("/api/v1/tasks").status()).isEqualTo(401);
        server.terminate();
        assertThat(server.awaitExit(Duration.ofSeconds(60))).isTrue();

        List<JsonNode> lines = parse(server.log());
        List<String> messages = lines.stream().map(l -> l.path("formattedMessage").asText()).toList();
        assertThat(lines).allSatisfy(l -> assertThat(l.fieldNames()).toIterable().contains("timestamp", "level", "loggerName", "formattedMessage"));
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("taskstate HTTP API on http://"));
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("Kafka Streams closed and left its group"));
        assertThat(messages).noneSatisfy(m -> assertThat(m).contains("/api/v1/tasks"));
        assertThat(server.log()).doesNotContain(TOKEN).doesNotContain("logged? ");
    }

    /** Every non-empty line as JSON; fails naming a line that is not. */
    private static List<JsonNode> parse(String log) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node = Json.tree(line.getBytes(StandardCharsets.UTF_8));
                assertThat(node.isObject()).as("a JSON object: %s", line).isTrue();
                lines.add(node);
            } catch (IOException e) {
                throw new AssertionError("Not a JSON line: " + line, e);
            }
        }
        assertThat(lines).isNotEmpty();
        return lines;
    }
}
