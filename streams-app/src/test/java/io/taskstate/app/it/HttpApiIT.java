package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The HTTP API end to end on a real broker: routes, status codes and problem details. */
@ExtendWith(KafkaBroker.class)
class HttpApiIT {
    private static RunningApp app;
    private static Http http;

    @BeforeAll
    static void start() {
        app = RunningApp.start(2);
        http = new Http(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void create_answers_201_with_location_and_the_task() {
        Http.Response created = http.post("/api/v1/tasks", "{\"title\":\"Update API documentation\",\"priority\":\"medium\"}");

        assertThat(created.status()).isEqualTo(201);
        long id = created.body().get("id").asLong();
        assertThat(created.header("Location")).isEqualTo("/api/v1/tasks/" + id);
        assertThat(created.body().get("metadata").isObject()).isTrue();
        assertThat(created.body().has("parent_task_id")).isTrue();
        assertThat(http.get("/api/v1/tasks/" + id).body()).isEqualTo(created.body());
    }

    @Test
    void patch_with_expect_answers_409_when_the_task_moved_on() {
        long id = http.post("/api/v1/tasks", "{\"title\":\"Review PR #1\"}").body().get("id").asLong();
        String claim = "{\"status\":\"in_progress\",\"assignee\":\"%s\",\"expect\":{\"status\":\"pending\"}}";

        Http.Response won = http.patch("/api/v1/tasks/" + id, claim.formatted("reviewer-alice"));
        Http.Response lost = http.patch("/api/v1/tasks/" + id, claim.formatted("reviewer-bob"));

        assertThat(won.status()).isEqualTo(200);
        assertThat(lost.status()).isEqualTo(409);
        assertThat(lost.contentType()).isEqualTo("application/problem+json");
        assertThat(lost.body().get("detail").asText()).contains("in_progress").contains("reviewer-alice");
        assertThat(http.get("/api/v1/tasks/" + id).body().get("assignee").asText()).isEqualTo("reviewer-alice");
    }

    @Test
    void delete_answers_the_deleted_task_and_every_removed_id() {
        long parent = http.post("/api/v1/tasks", "{\"title\":\"parent\"}").body().get("id").asLong();
        long child = http.post("/api/v1/tasks", "{\"title\":\"child\",\"parent_task_id\":" + parent + "}").body().get("id").asLong();

        Http.Response deleted = http.delete("/api/v1/tasks/" + parent);

        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body().get("success").asBoolean()).isTrue();
        assertThat(deleted.body().get("deleted_task").get("id").asLong()).isEqualTo(parent);
        assertThat(deleted.body().get("deleted_ids")).extracting(n -> n.asLong()).containsExactlyInAnyOrder(parent, child);
        assertThat(http.get("/api/v1/tasks/" + child).status()).isEqualTo(404);
    }

    @Test
    void idempotency_key_makes_a_repeated_post_create_once() {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.baseUrl() + "/api/v1/tasks"))
                .header("Content-Type", "application/json").header("Idempotency-Key", "create-once-" + System.nanoTime());
        String body = "{\"title\":\"idempotent\"}";

        Http.Response first = http.send(request.copy().POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
        Http.Response second = http.send(request.copy().POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));

        assertThat(second.body().get("id")).isEqualTo(first.body().get("id"));
    }

    @Test
    void unknown_task_is_404_problem_details() {
        Http.Response missing = http.get("/api/v1/tasks/424242");

        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.contentType()).isEqualTo("application/problem+json");
        assertThat(missing.body().get("detail").asText()).isEqualTo("Task 424242 not found");
        assertThat(missing.body().get("status").asInt()).isEqualTo(404);
    }

    @Test
    void invalid_input_is_400_naming_what_is_wrong() {
        assertThat(http.post("/api/v1/tasks", "{\"title\":\"x\",\"status\":\"done\"}").body().get("detail").asText())
                .isEqualTo("Invalid status. Must be one of: pending, in_progress, completed, blocked");
        assertThat(http.post("/api/v1/tasks", "{\"description\":\"no title\"}").status()).isEqualTo(400);
        assertThat(http.post("/api/v1/tasks", "{\"title\":").status()).isEqualTo(400);
        assertThat(http.post("/api/v1/tasks", "[1,2]").status()).isEqualTo(400);
        assertThat(http.get("/api/v1/tasks/abc").body().get("detail").asText()).contains("positive integer");
        assertThat(http.get("/api/v1/tasks/-5").status()).isEqualTo(400);
        assertThat(http.get("/api/v1/tasks?limit=0").status()).isEqualTo(400);
        assertThat(http.get("/api/v1/tasks?limit=1001").status()).isEqualTo(400);
        assertThat(http.get("/api/v1/tasks?cursor=garbage").status()).isEqualTo(400);
        assertThat(http.get("/api/v1/tasks?colour=red").body().get("detail").asText()).contains("Unknown query parameter: colour");
        assertThat(http.get("/api/v1/tasks?status=done").status()).isEqualTo(400);
    }

    @Test
    void wrong_content_type_is_415() {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.baseUrl() + "/api/v1/tasks"))
                .header("Content-Type", "text/plain").POST(java.net.http.HttpRequest.BodyPublishers.ofString("title=x"));

        Http.Response response = http.send(request);

        assertThat(response.status()).isEqualTo(415);
        assertThat(response.contentType()).isEqualTo("application/problem+json");
    }

    @Test
    void a_body_over_the_limit_is_413_and_creates_nothing() {
        String huge = "{\"title\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
        long before = http.get("/api/v1/tasks?limit=1000").body().get("tasks").size();

        Http.Response response = http.post("/api/v1/tasks", huge);

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.contentType()).isEqualTo("application/problem+json");
        assertThat(response.body().get("detail").asText()).contains("TASKSTATE_MAX_BODY_BYTES");
        assertThat(http.get("/api/v1/tasks?limit=1000").body().get("tasks").size()).isEqualTo(before);
    }

    @Test
    void a_client_that_sends_the_whole_body_before_reading_still_reads_the_413() throws Exception {
        byte[] body = ("{\"title\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);

        // twice on one connection: the body is read and dropped, and the connection stays usable
        String answers = raw(post(body.length, false), body, post(body.length, true), body);

        assertThat(answers.split("HTTP/1.1 413", -1)).hasSize(3);
        assertThat(answers).contains("application/problem+json").contains("TASKSTATE_MAX_BODY_BYTES");
    }

    @Test
    void a_length_far_over_the_limit_is_refused_before_the_body_is_sent() throws Exception {
        String answer = raw(post(1_000_000_000, false));

        assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("Connection: close")
                .contains("application/problem+json").contains("TASKSTATE_MAX_BODY_BYTES");
    }

    private static byte[] post(long contentLength, boolean last) {
        return ("POST /api/v1/tasks HTTP/1.1\r\nHost: taskstate\r\nContent-Type: application/json\r\nContent-Length: "
                + contentLength + (last ? "\r\nConnection: close" : "") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes every part, only then reads what the server answers, until it closes the connection. */
    private static String raw(byte[]... parts) throws Exception {
        URI uri = URI.create(app.baseUrl());
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            for (byte[] part : parts) {
                socket.getOutputStream().write(part);
            }
            socket.getOutputStream().flush();
            socket.setSoTimeout(30_000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void health_reports_live_and_ready() {
        assertThat(http.get("/health/live").status()).isEqualTo(200);
        Http.Response ready = http.get("/health/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body().get("streams").asText()).isEqualTo("RUNNING");
    }

    @Test
    void unknown_route_is_404_and_wrong_method_is_problem_details() {
        assertThat(http.get("/api/v1/nothing-here").status()).isEqualTo(404);
        Http.Response put = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.baseUrl() + "/api/v1/tasks/1"))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(put.status()).isIn(404, 405);
        assertThat(put.contentType()).isEqualTo("application/problem+json");
    }

    @Test
    void query_pages_with_limit_and_cursor() {
        String tag = "page-" + System.nanoTime();
        for (int i = 0; i < 5; i++) {
            http.post("/api/v1/tasks", "{\"title\":\"" + tag + " " + i + "\"}");
        }

        Http.Response first = http.get("/api/v1/tasks?title_contains=" + tag + "&limit=3");
        Http.Response second = http.get("/api/v1/tasks?title_contains=" + tag + "&limit=3&cursor=" + first.body().get("next_cursor").asText());

        assertThat(first.body().get("tasks")).hasSize(3);
        assertThat(second.body().get("tasks")).hasSize(2);
        assertThat(second.body().get("next_cursor").isNull()).isTrue();
        assertThat(first.body().get("tasks").get(0).get("title").asText()).isEqualTo(tag + " 4");
    }
}
