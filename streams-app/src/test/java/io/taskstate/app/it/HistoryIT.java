package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskHistoryEntry;
import io.taskstate.client.TaskHistoryPage;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A task's history on a real broker and RocksDB: over HTTP, the SDK and MCP, paged, and from either of two instances. */
@ExtendWith(KafkaBroker.class)
class HistoryIT {
    private static RunningApp app;
    private static TaskStateClient client;
    private static Http http;

    @BeforeAll
    static void start() {
        app = RunningApp.start(3, Map.of(TaskStateConfig.HISTORY_LIMIT, "5"));
        client = app.client();
        http = new Http(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void http_lists_every_change_with_its_command_client_and_fields_oldest_first() {
        // Given
        Http.Response created = http.post("/api/v1/tasks", "{\"title\": \"Ship it\", \"priority\": \"high\"}");
        long id = created.body().get("id").asLong();
        http.post("/api/v1/tasks/" + id + "/claim", "{\"assignee\": \"w1\"}");
        http.post("/api/v1/tasks/" + id + "/complete", "{\"assignee\": \"w1\", \"metadata\": {\"result\": \"done\"}}");

        // When
        Http.Response history = http.get("/api/v1/tasks/" + id + "/history");

        // Then
        assertThat(history.status()).isEqualTo(200);
        assertThat(history.body().get("task_id").asLong()).isEqualTo(id);
        assertThat(history.body().get("next_cursor").isNull()).isTrue();
        JsonNode entries = history.body().get("entries");
        assertThat(entries).extracting(e -> e.get("type").asText()).containsExactly("create_task", "claim_task", "complete_task");
        assertThat(entries).extracting(e -> e.get("seq").asLong()).containsExactly(1L, 2L, 3L);
        assertThat(entries.get(0).get("changes").get("priority").get("to").asText()).isEqualTo("high");
        assertThat(entries.get(0).get("changes").get("title").get("from").isNull()).isTrue();
        assertThat(entries.get(1).get("assignee").asText()).isEqualTo("w1");
        assertThat(entries.get(1).get("changes").get("status").get("from").asText()).isEqualTo("pending");
        assertThat(entries.get(1).get("changes").get("status").get("to").asText()).isEqualTo("in_progress");
        assertThat(entries.get(2).get("changes").get("metadata").get("to").get("result").asText()).isEqualTo("done");
        assertThat(entries.get(2).get("changes").has("updated_at")).isFalse();
        for (JsonNode entry : entries) {
            assertThat(entry.get("command_id").asText()).isNotBlank();
            assertThat(entry.get("client_id").asText()).isNotBlank();
            assertThat(entry.get("at").asText()).endsWith("Z");
        }
    }

    @Test
    void sdk_pages_through_the_history_and_keeps_only_the_newest_entries() {
        // Given: seven changes under a limit of five
        Task task = client.createTask(NewTask.titled("v0"));
        for (int i = 1; i <= 6; i++) {
            client.updateTask(task.id(), TaskUpdate.of().title("v" + i));
        }

        // When
        TaskHistoryPage first = client.historyPage(task.id(), 2, null);
        TaskHistoryPage second = client.historyPage(task.id(), 2, first.nextCursor());
        List<TaskHistoryEntry> all = client.history(task.id());

        // Then
        assertThat(first.taskId()).isEqualTo(task.id());
        assertThat(first.entries()).extracting(TaskHistoryEntry::seq).containsExactly(3L, 4L);
        assertThat(second.entries()).extracting(TaskHistoryEntry::seq).containsExactly(5L, 6L);
        assertThat(all).extracting(TaskHistoryEntry::seq).containsExactly(3L, 4L, 5L, 6L, 7L);
        TaskHistoryEntry last = all.get(4);
        assertThat(last.type()).isEqualTo("update_task");
        assertThat(last.clientId()).isEqualTo(client.clientId());
        assertThat(last.changes()).containsOnlyKeys("title");
        assertThat(last.changes().get("title").from().asText()).isEqualTo("v5");
        assertThat(last.changes().get("title").to().asText()).isEqualTo("v6");
        List<TaskHistoryEntry> walked = new ArrayList<>();
        String cursor = null;
        do {
            TaskHistoryPage page = client.historyPage(task.id(), 2, cursor);
            walked.addAll(page.entries());
            cursor = page.nextCursor();
        } while (cursor != null);
        assertThat(walked).isEqualTo(all);
    }

    @Test
    void an_unknown_task_has_no_history_and_a_deleted_one_loses_it() {
        Task task = client.createTask(NewTask.titled("short-lived"));
        client.deleteTask(task.id());

        Http.Response deleted = http.get("/api/v1/tasks/" + task.id() + "/history");

        assertThat(deleted.status()).isEqualTo(404);
        assertThat(deleted.contentType()).startsWith("application/problem+json");
        assertThat(deleted.body().get("detail").asText()).isEqualTo("Task " + task.id() + " not found");
        assertThatThrownBy(() -> client.history(999_999)).isInstanceOf(TaskStateException.NotFound.class);
        Http.Response check = http.get("/api/v1/admin/check");
        assertThat(check.body().get("problems")).as("%s", check.body()).isEmpty();
        assertThat(check.status()).isEqualTo(200);
    }

    @Test
    void bad_limit_cursor_or_parameter_is_a_400_that_says_what_to_send() {
        Task task = client.createTask(NewTask.titled("paged"));

        assertThat(http.get("/api/v1/tasks/" + task.id() + "/history?limit=0").body().get("detail").asText())
                .isEqualTo("limit must be an integer from 1 to 1000, got '0'");
        Http.Response cursor = http.get("/api/v1/tasks/" + task.id() + "/history?cursor=abc");
        assertThat(cursor.status()).isEqualTo(400);
        assertThat(cursor.body().get("detail").asText()).startsWith("cursor must be the next_cursor of a previous history page");
        Http.Response unknown = http.get("/api/v1/tasks/" + task.id() + "/history?since=1");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().get("detail").asText()).isEqualTo("Unknown query parameter: since. Known: cursor, limit");
        assertThat(http.get("/api/v1/tasks/abc/history").status()).isEqualTo(400);
    }

    @Test
    void mcp_get_task_history_returns_the_entries() {
        Task task = client.createTask(NewTask.titled("via mcp"));
        client.updateTask(task.id(), TaskUpdate.of().priority(Priority.CRITICAL));
        try (McpHttpClient mcp = new McpHttpClient(app.baseUrl())) {
            mcp.initialize();

            JsonNode result = mcp.ok("get_task_history", "{\"id\": %d, \"limit\": 1}".formatted(task.id()));
            McpClient.ToolResult missing = mcp.call("get_task_history", "{\"id\": 999999}");

            assertThat(result.get("task_id").asLong()).isEqualTo(task.id());
            assertThat(result.get("entries")).hasSize(1);
            assertThat(result.get("entries").get(0).get("type").asText()).isEqualTo("create_task");
            assertThat(result.get("entries").get(0).get("at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}");
            assertThat(missing.isError()).isTrue();
            assertThat(missing.text()).isEqualTo("Task 999999 not found");
        }
    }

    @Test
    void either_of_two_instances_answers_for_a_task_on_any_partition() {
        try (RunningApp first = RunningApp.start(4)) {
            Map<String, String> sameApp = Map.of(
                    TaskStateConfig.TOPIC_PREFIX, first.topicPrefix(),
                    TaskStateConfig.APPLICATION_ID, first.topicPrefix().replace(".", ""));
            try (RunningApp second = RunningApp.start(4, sameApp)) {
                // Given a changed task on every partition
                Http a = new Http(first.baseUrl());
                Http b = new Http(second.baseUrl());
                List<Long> ids = new ArrayList<>();
                for (int n = 0; n < 4; n++) {
                    int i = n;
                    long id = await().atMost(Duration.ofSeconds(60)).until(
                            () -> a.post("/api/v1/tasks", "{\"title\": \"shared " + i + "\"}"), r -> r.status() == 201)
                            .body().get("id").asLong();
                    await().atMost(Duration.ofSeconds(60)).until(
                            () -> a.patch("/api/v1/tasks/" + id, "{\"priority\": \"low\"}"), r -> r.status() == 200);
                    ids.add(id);
                }

                // When both instances hold partitions
                await("both instances own partitions").atMost(Duration.ofSeconds(60)).until(() ->
                        new Http(first.baseUrl()).get("/health/ready").status() == 200 && first.server().localPartitions() > 0
                        && new Http(second.baseUrl()).get("/health/ready").status() == 200 && second.server().localPartitions() > 0);

                // Then each answers the whole history of every task
                for (Http h : List.of(a, b)) {
                    for (long id : ids) {
                        JsonNode entries = await().atMost(Duration.ofSeconds(60))
                                .until(() -> h.get("/api/v1/tasks/" + id + "/history"), r -> r.status() == 200)
                                .body().get("entries");
                        assertThat(entries).extracting(e -> e.get("type").asText()).containsExactly("create_task", "update_task");
                    }
                }
            }
        }
    }
}
