package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.TaskStatus;
import io.taskstate.protocol.Topic;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /metrics} answers Prometheus text with the JVM's, Kafka Streams' and the HTTP API's
 * meters and taskstate's gauges; it is open by default even with tokens, and needs a read token
 * when {@code TASKSTATE_METRICS_AUTH=read}.
 */
@ExtendWith(KafkaBroker.class)
class MetricsIT {
    private static final String READ = "read-" + UUID.randomUUID();
    private static final String WRITE = "write-" + UUID.randomUUID();
    private static final String TOKENS = "read:" + READ + ",write:" + WRITE;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private static RunningApp open;
    private static RunningApp guarded;

    @BeforeAll
    static void start() {
        open = RunningApp.start(2, Map.of(TaskStateConfig.API_TOKENS, TOKENS));
        guarded = RunningApp.start(1, Map.of(TaskStateConfig.API_TOKENS, TOKENS, TaskStateConfig.METRICS_AUTH, "read"));
    }

    @AfterAll
    static void stop() {
        if (open != null) {
            open.close();
        }
        if (guarded != null) {
            guarded.close();
        }
    }

    @Test
    void after_a_create_the_metrics_show_the_jvm_kafka_streams_the_create_route_and_readiness() throws Exception {
        Http writer = new Http(open.baseUrl(), WRITE);
        assertThat(writer.post("/api/v1/tasks", "{\"title\":\"measure me\"}").status()).isEqualTo(201);

        HttpResponse<String> metrics = get(open.baseUrl(), null);

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(metrics.body())
                .contains("jvm_memory_used_bytes{", "jvm_threads_live_threads", "jvm_classes_loaded_classes", "system_cpu_count")
                .contains("kafka_stream_thread_process_total")
                .containsPattern("taskstate_http_requests_seconds_count\\{[^}]*method=\"POST\"[^}]*status=\"201\"[^}]*uri=\"/api/v1/tasks\"[^}]*} 1")
                .contains("taskstate_ready 1.0", "taskstate_streams_state 2.0");
    }

    @Test
    void commands_are_counted_by_type_and_outcome_and_timed_and_tasks_counted_by_status() throws Exception {
        try (TaskStateClient client = open.client()) {
            client.createTask(NewTask.titled("count me").status(TaskStatus.BLOCKED));
        }
        Http writer = new Http(open.baseUrl(), WRITE);
        assertThat(writer.patch("/api/v1/tasks/999999", "{\"title\":\"nobody\"}").status()).isEqualTo(404);
        assertThat(writer.post("/api/v1/instances/metered-worker/heartbeat", "{}").status()).isEqualTo(200);

        String body = get(open.baseUrl(), null).body();

        assertThat(body)
                .containsPattern("taskstate_commands_total\\{outcome=\"ok\",type=\"create_task\"} [1-9]")
                .containsPattern("taskstate_commands_total\\{outcome=\"not_found\",type=\"update_task\"} 1.0")
                .containsPattern("taskstate_command_reply_latency_seconds_bucket\\{type=\"create_task\",le=\"[^\"]+\"} [1-9]")
                .containsPattern("taskstate_tasks\\{status=\"blocked\"} 1.0")
                .containsPattern("taskstate_instances_active [1-9]");
    }

    @Test
    void an_unreadable_command_shows_in_the_dead_letter_metric() {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, open.server().bootstrapServers()),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topic.TASK_COMMANDS.name(open.topicPrefix()),
                    "k".getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8)));
        }

        // the sensor is new after the binding: it shows at the next refresh (Metrics.KAFKA_METRICS_REFRESH)
        await("dead-letter metric").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(get(open.baseUrl(), null).body())
                        .containsPattern("dead_lettered_records_total\\{[^}]*} 1.0"));
    }

    @Test
    void with_metrics_auth_read_metrics_need_a_read_token() throws Exception {
        assertThat(get(guarded.baseUrl(), null).statusCode()).isEqualTo(401);
        HttpResponse<String> withToken = get(guarded.baseUrl(), READ);
        assertThat(withToken.statusCode()).isEqualTo(200);
        assertThat(withToken.body()).contains("taskstate_ready");
    }

    private static HttpResponse<String> get(String base, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/metrics")).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
