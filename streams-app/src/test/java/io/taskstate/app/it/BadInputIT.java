package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.http.ApiServer;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Thousands of malformed requests on one running app, generated from a seeded random source and
 * a fixed list of nasty values: never a 5xx, always problem details that say what is wrong, and
 * the state unchanged afterwards. {@code -Dfuzz.seed=N} repeats a run; {@code -Dfuzz.count=N}
 * changes its size.
 */
@ExtendWith(KafkaBroker.class)
class BadInputIT {
    private static final long SEED = Long.getLong("fuzz.seed", 20260906L);
    private static final int COUNT = Integer.getInteger("fuzz.count", 3000);
    private static final int MCP_COUNT = Integer.getInteger("fuzz.mcp.count", 1000);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String WORKER = "seed-worker";

    private static RunningApp app;
    private static Http http;
    private static List<Long> taskIds;

    @BeforeAll
    static void start() {
        app = RunningApp.start(2, Map.of(TaskStateConfig.INSTANCE_TIMEOUT, "PT1H"));
        http = new Http(app.baseUrl());
        long root = http.post("/api/v1/tasks", "{\"title\": \"root\", \"priority\": \"high\", \"metadata\": {\"k\": [1, 2]}}")
                .body().get("id").asLong();
        long child = http.post("/api/v1/tasks", "{\"title\": \"child\", \"parent_task_id\": " + root + "}").body().get("id").asLong();
        long held = http.post("/api/v1/tasks", "{\"title\": \"held\", \"priority\": \"low\"}").body().get("id").asLong();
        assertThat(http.post("/api/v1/tasks/" + held + "/claim", "{\"assignee\": \"" + WORKER + "\", \"lease_seconds\": 3600}")
                .status()).isEqualTo(200);
        // the claim sets the holder's current task with a command of its own: wait for it, so the snapshot is settled
        await("the holder instance").atMost(Duration.ofSeconds(30))
                .until(() -> http.get("/api/v1/instances/" + WORKER).status() == 200);
        taskIds = List.of(root, child, held, 1_000_000_000_000L + held);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void malformed_http_requests_are_4xx_problem_details_and_change_nothing() {
        // Given
        JsonNode before = snapshot();
        List<HttpProbes.Probe> probes = new HttpProbes(new BadInput(SEED), taskIds, WORKER, maxBodyBytes(),
                Json.MAX_DEPTH).generate(COUNT);

        // When
        Tally tally = new Tally();
        HttpProbes.Probe previous = null;
        for (HttpProbes.Probe probe : probes) {
            try {
                tally.check(probe, send(probe));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; the request before was " + previous, e);
            }
            previous = probe;
        }

        // Then
        System.out.printf("BadInputIT HTTP: %d malformed requests (seed %d), %d answered 5xx, by status %s%n",
                probes.size(), SEED, tally.serverErrors, tally.byStatus);
        assertThat(tally.violations).as("requests answered wrongly (%d of %d)", tally.violations.size(), probes.size())
                .isEmpty();
        assertThat(snapshot()).isEqualTo(before);
    }

    private static long maxBodyBytes() {
        return ApiServer.DEFAULT_MAX_BODY_BYTES;
    }

    @Test
    void malformed_mcp_messages_are_errors_that_say_what_is_wrong_and_change_nothing() {
        // Given
        JsonNode before = snapshot();
        try (McpHttpClient session = new McpHttpClient(app.baseUrl())) {
            session.initialize();
            List<McpProbes.Probe> probes = new McpProbes(new BadInput(SEED), session.sessionId(), taskIds, WORKER,
                    maxBodyBytes(), Json.MAX_DEPTH).generate(MCP_COUNT);

            // When
            Tally tally = new Tally();
            for (McpProbes.Probe probe : probes) {
                RawHttp.Answer answer = send(probe.kind(), probe.method(), ApiServer.MCP_PATH, probe.headers(), probe.body(), false);
                tally.count(answer.status(), McpAnswers.problemOf(probe, answer), probe, answer);
            }

            // Then
            System.out.printf("BadInputIT MCP: %d malformed messages (seed %d), %d answered 5xx, by status %s%n",
                    probes.size(), SEED, tally.serverErrors, tally.byStatus);
            assertThat(tally.violations).as("messages answered wrongly (%d of %d)", tally.violations.size(), probes.size())
                    .isEmpty();
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    /** Every task, every instance and the consistency check, as the API shows them. */
    private static JsonNode snapshot() {
        var state = Json.object();
        state.set("tasks", http.get("/api/v1/tasks?limit=1000").body());
        state.set("instances", http.get("/api/v1/instances").body());
        state.set("check", http.get("/api/v1/admin/check").body());
        return state;
    }

    private static RawHttp.Answer send(HttpProbes.Probe probe) {
        return send(probe.toString(), probe.method(), probe.path(), probe.headers(), probe.body(), probe.chunked());
    }

    private static RawHttp.Answer send(String what, String method, String path, Map<String, String> headers, byte[] bytes,
                                       boolean chunked) {
        URI uri = URI.create(app.baseUrl() + path);
        if (bytes != null && (chunked || bytes.length > maxBodyBytes())) {
            // refused before it is all read: java.net.http would not hear the answer while it still sends
            return RawHttp.send(uri, method, headers, bytes, chunked);
        }
        HttpRequest.BodyPublisher body = bytes == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(bytes);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).method(method, body);
        headers.forEach(request::header);
        try {
            HttpResponse<byte[]> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new RawHttp.Answer(r.statusCode(), Map.of("Content-Type", r.headers().firstValue("Content-Type").orElse("")),
                    r.body());
        } catch (IOException e) {
            throw new AssertionError("No answer to " + what + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Counts the answers and keeps the wrong ones: a 5xx, a malformed write accepted, an error that does not say what is wrong. */
    private static final class Tally {
        final Map<Integer, Integer> byStatus = new TreeMap<>();
        final List<String> violations = new ArrayList<>();
        int serverErrors;

        void check(HttpProbes.Probe probe, RawHttp.Answer response) {
            count(response.status(), problemOf(probe, response), probe, response);
        }

        void count(int status, String problem, Object probe, RawHttp.Answer response) {
            byStatus.merge(status, 1, Integer::sum);
            if (status >= 500) {
                serverErrors++;
            }
            if (problem != null && violations.size() < 200) {
                String body = new String(response.body(), 0, Math.min(response.body().length, 300), StandardCharsets.UTF_8);
                violations.add(problem + " <- " + probe + " -> " + status + " " + body);
            }
        }

        private static String problemOf(HttpProbes.Probe probe, RawHttp.Answer response) {
            int status = response.status();
            if (status >= 500) {
                return "server error";
            }
            if (status < 400) {
                return probe.mustFail() ? "accepted" : null;
            }
            String type = response.headers().getOrDefault("Content-Type", "");
            if (!type.equals("application/problem+json")) {
                return "not problem details (" + type + ")";
            }
            JsonNode body;
            try {
                body = Json.tree(response.body());
            } catch (IOException e) {
                return "problem details that are not JSON";
            }
            String detail = body.path("detail").asText("");
            if (body.path("status").asInt() != status) {
                return "problem details with another status";
            }
            if (detail.isBlank() || detail.startsWith("The request could not be handled") || detail.startsWith("Internal")) {
                return "a detail that does not say what is wrong";
            }
            if (detail.length() > 1_000) {
                return "a detail of " + detail.length() + " characters";
            }
            return null;
        }
    }
}
