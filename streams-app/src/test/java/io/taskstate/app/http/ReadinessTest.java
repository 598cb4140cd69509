package io.taskstate.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.query.Restorations;
import io.taskstate.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /health/ready} while state is restored: 503 with how far the restore is. */
class ReadinessTest {
    private final ApiServer server = new ApiServer("127.0.0.1", 0, null, Duration.ofSeconds(1));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void while_stores_restore_readiness_shows_percent_rate_and_eta() throws Exception {
        Restorations restorations = new Restorations();
        restorations.onRestoreStart(new TopicPartition("app-tasks-changelog", 0), "tasks", 0, 4000);
        restorations.onBatchRestored(new TopicPartition("app-tasks-changelog", 0), "tasks", 1000, 1000);
        server.reportRestores(restorations);
        int port = server.start();

        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        JsonNode body = Json.tree(response.body());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(body.path("status").asText()).isEqualTo("not ready");
        JsonNode restore = body.path("restore");
        assertThat(restore.path("stores").asInt()).isEqualTo(1);
        assertThat(restore.path("records_total").asLong()).isEqualTo(4000);
        assertThat(restore.path("records_restored").asLong()).isEqualTo(1000);
        assertThat(restore.path("percent").asDouble()).isEqualTo(25.0);
        assertThat(restore.has("records_per_second")).isTrue();
        assertThat(restore.has("eta_seconds")).isTrue();
    }

    @Test
    void without_a_restore_readiness_has_no_restore_field() throws Exception {
        server.reportRestores(new Restorations());
        int port = server.start();

        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(Json.tree(response.body()).has("restore")).isFalse();
    }
}
