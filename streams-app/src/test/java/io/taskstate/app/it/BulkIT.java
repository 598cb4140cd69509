package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.BulkResult;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bulk create and update with mixed valid and invalid items, and the NDJSON and CSV export, on a real broker. */
@ExtendWith(KafkaBroker.class)
class BulkIT {
    private static RunningApp app;
    private static Http http;

    @BeforeAll
    static void start() {
        app = RunningApp.start(3);
        http = new Http(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void bulk_create_answers_each_item_in_order_and_creates_only_the_valid_ones() {
        String tag = unique();

        Http.Response r = http.post("/api/v1/tasks/bulk", "{\"tasks\": [{\"title\":\"" + tag + " one\"}, {\"priority\":\"high\"}, "
                + "\"not an object\", {\"title\":\"" + tag + " two\",\"priority\":\"urgent\"}, {\"title\":\"" + tag + " three\",\"metadata\":{\"k\":1}}]}");

        assertThat(r.status()).isEqualTo(200);
        JsonNode results = r.body().get("results");
        assertThat(results).extracting(x -> x.get("status").asInt()).containsExactly(201, 400, 400, 400, 201);
        assertThat(results.get(0).get("task").get("title").asText()).isEqualTo(tag + " one");
        assertThat(results.get(1).get("error").get("detail").asText()).containsIgnoringCase("title");
        assertThat(results.get(3).get("error").get("detail").asText()).contains("Invalid priority");
        assertThat(results.get(4).get("task").get("metadata").get("k").asInt()).isEqualTo(1);
        assertThat(http.get("/api/v1/tasks?title_contains=" + tag).body().get("tasks")).hasSize(2);
    }

    @Test
    void bulk_update_applies_each_item_and_reports_the_missing_and_the_refused() {
        String tag = unique();
        long a = http.post("/api/v1/tasks", "{\"title\":\"" + tag + " a\"}").body().get("id").asLong();
        long b = http.post("/api/v1/tasks", "{\"title\":\"" + tag + " b\"}").body().get("id").asLong();

        Http.Response r = http.patch("/api/v1/tasks/bulk", "{\"updates\": [{\"id\": " + a + ", \"updates\": {\"status\": \"completed\"}}, "
                + "{\"id\": 999999999, \"updates\": {\"status\": \"completed\"}}, {\"id\": " + b + ", \"updates\": {\"status\": \"done\"}}, "
                + "{\"id\": " + b + ", \"updates\": {\"priority\": \"low\"}, \"expect\": {\"status\": \"in_progress\"}}, {\"id\": \"x\"}]}");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("results")).extracting(x -> x.get("status").asInt()).containsExactly(200, 404, 400, 409, 400);
        assertThat(r.body().get("results").get(0).get("task").get("status").asText()).isEqualTo("completed");
        assertThat(http.get("/api/v1/tasks/" + b).body().get("priority").asText()).isEqualTo("medium");
    }

    @Test
    void bulk_refuses_an_empty_or_too_large_batch_before_sending_anything() {
        StringBuilder many = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < 1001; i++) {
            many.append(i == 0 ? "" : ",").append("{\"title\":\"x\"}");
        }
        Http.Response tooMany = http.post("/api/v1/tasks/bulk", many.append("]}").toString());
        Http.Response empty = http.post("/api/v1/tasks/bulk", "{\"tasks\": []}");

        assertThat(tooMany.status()).isEqualTo(413);
        assertThat(tooMany.body().get("detail").asText()).contains("at most 1000");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.body().get("detail").asText()).contains("tasks must be a non-empty array");
    }

    @Test
    void sdk_bulk_create_and_update_give_one_result_per_item() {
        String tag = unique();
        try (TaskStateClient client = app.client()) {
            List<BulkResult> created = client.createTasks(List.of(NewTask.titled(tag + " 1"), NewTask.titled(" "), NewTask.titled(tag + " 2")));
            assertThat(created).extracting(BulkResult::ok).containsExactly(true, false, true);

            Map<Long, TaskUpdate> updates = new LinkedHashMap<>();
            updates.put(created.get(0).task().id(), TaskUpdate.of().status(TaskStatus.BLOCKED));
            updates.put(created.get(2).task().id(), TaskUpdate.of().status(TaskStatus.COMPLETED));
            List<BulkResult> updated = client.updateTasks(updates);

            assertThat(updated).extracting(u -> u.task().status()).containsExactly(TaskStatus.BLOCKED, TaskStatus.COMPLETED);
        }
    }

    @Test
    void ndjson_and_csv_exports_hold_every_match_across_pages() throws Exception {
        // Given more matching tasks than one page of the export, with text that needs CSV quoting
        String tag = unique();
        int n = 1203;
        for (int start = 0; start < n; start += 250) {
            StringBuilder body = new StringBuilder("{\"tasks\": [");
            for (int i = start; i < Math.min(n, start + 250); i++) {
                body.append(i == start ? "" : ",").append("{\"title\":\"").append(tag).append(" #").append(i)
                        .append("\",\"description\":\"a, \\\"quoted\\\"\\nline\",\"metadata\":{\"i\":").append(i).append("}}");
            }
            String batch = body.append("]}").toString();
            String key = tag + "-" + start;
            // on a loaded machine an item may time out (504); the same Idempotency-Key again applies nothing twice
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120)).until(() -> http.send(
                    HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tasks/bulk")).header("Content-Type", "application/json")
                            .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(batch))),
                    r -> r.status() == 200 && java.util.stream.StreamSupport.stream(r.body().get("results").spliterator(), false)
                            .allMatch(x -> x.get("status").asInt() == 201));
        }
        List<Task> expected;
        try (TaskStateClient client = app.client(); var stream = client.queryTasks(TaskQuery.all().titleContains(tag).pageSize(1000))) {
            expected = stream.toList();
        }

        // When exported as NDJSON and CSV
        List<Task> ndjson = new ArrayList<>();
        for (String line : export("ndjson", tag).split("\n")) {
            ndjson.add(Json.read(line.getBytes(StandardCharsets.UTF_8), Task.class));
        }
        List<List<String>> csv = parseCsv(export("csv", tag));

        // Then both hold every match, in the query's order, with the same fields
        assertThat(expected).hasSize(n);
        assertThat(ndjson).isEqualTo(expected);
        assertThat(csv.get(0)).containsExactly("id", "title", "description", "status", "priority", "assignee", "parent_task_id",
                "subtask_ids", "metadata", "created_at", "updated_at", "completed_at");
        assertThat(csv).hasSize(n + 1);
        for (int i = 0; i < n; i++) {
            List<String> row = csv.get(i + 1);
            Task t = expected.get(i);
            assertThat(row.get(0)).isEqualTo(Long.toString(t.id()));
            assertThat(row.get(1)).isEqualTo(t.title());
            assertThat(row.get(2)).isEqualTo("a, \"quoted\"\nline");
            assertThat(Json.tree(row.get(8).getBytes(StandardCharsets.UTF_8))).isEqualTo(t.metadata());
            assertThat(java.time.Instant.parse(row.get(9))).isEqualTo(t.createdAt());
        }
        Http.Response bad = http.get("/api/v1/tasks/export?format=xml");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("detail").asText()).contains("format must be ndjson or csv");
    }

    private static String export(String format, String tag) throws Exception {
        HttpResponse<InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(app.baseUrl() + "/api/v1/tasks/export?format=" + format + "&title_contains=" + tag)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        try (InputStream in = r.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** RFC 4180 rows: quoted cells may hold commas, doubled quotes and line breaks. */
    static List<List<String>> parseCsv(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.add(cell.toString());
                cell.setLength(0);
            } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                row.add(cell.toString());
                cell.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                i++;
            } else {
                cell.append(c);
            }
        }
        return rows;
    }

    private static String unique() {
        return "bulk" + UUID.randomUUID().toString().substring(0, 8);
    }
}
