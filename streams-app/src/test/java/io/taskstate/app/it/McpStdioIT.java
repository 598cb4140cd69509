package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Task;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code taskstate mcp} on stdio, as Claude Desktop or Claude Code launch it, against a running
 * app on a real broker: the handshake, the fourteen tools with their schemas, every tool's answer
 * and errors, and the end of the process when stdin closes.
 */
@ExtendWith(KafkaBroker.class)
class McpStdioIT {
    private static final Pattern NAIVE_MILLIS = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}$");
    private static final Pattern CURSOR = Pattern.compile("cursor=\"([^\"]+)\"");
    private static final String STATUSES = "pending, in_progress, completed, blocked";
    private static final String PRIORITIES = "low, medium, high, critical";
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(30);

    @TempDir
    static Path logs;

    private static RunningApp app;
    private static TaskStateClient sdk;
    private static McpStdioClient mcp;
    private static JsonNode initialized;
    private static final List<McpStdioClient> launched = new ArrayList<>();

    @RegisterExtension
    final AfterTestExecutionCallback printLogsOnFailure = context -> {
        if (context.getExecutionException().isPresent()) {
            launched.forEach(McpStdioClient::printLog);
        }
    };

    @BeforeAll
    static void start() {
        app = RunningApp.start(3);
        sdk = app.client();
        mcp = launch();
        initialized = mcp.initialize();
    }

    @AfterAll
    static void stop() {
        launched.forEach(McpStdioClient::close);
        if (sdk != null) {
            sdk.close();
        }
        if (app != null) {
            app.close();
        }
    }

    // ---- the protocol

    @Test
    void initialize_agrees_on_the_requested_protocol_version_and_offers_tools() {
        assertThat(initialized.get("protocolVersion").asText()).isEqualTo(McpClient.PROTOCOL_VERSION);
        assertThat(initialized.path("capabilities").has("tools")).isTrue();
        assertThat(initialized.path("serverInfo").path("name").asText()).isEqualTo("taskstate");
    }

    @Test
    void tools_list_offers_the_nine_reference_tools_the_four_claim_tools_the_history_and_the_stats() {
        List<String> names = mcp.tools().stream().map(t -> t.get("name").asText()).toList();

        assertThat(names).containsExactlyInAnyOrder(
                "create_task", "update_task", "delete_task", "get_task", "query_tasks",
                "get_instance_state", "set_instance_state", "list_active_instances", "heartbeat",
                "claim_task", "claim_next_task", "release_task", "complete_task", "get_task_history", "get_stats");
    }

    static Stream<Arguments> schemas() {
        String status = "{\"type\": \"string\", \"enum\": [\"pending\", \"in_progress\", \"completed\", \"blocked\"]}";
        String priority = "{\"type\": \"string\", \"enum\": [\"low\", \"medium\", \"high\", \"critical\"]}";
        return Stream.of(
                Arguments.of("create_task", schema("""
                        "title": {"type": "string"}, "description": {"type": "string"}, "status": %s, "priority": %s,
                        "assignee": {"type": "string"}, "parent_task_id": {"type": "integer"}, "metadata": {"type": "object"},
                        "depends_on": {"type": "array", "items": {"type": "integer"}}
                        """.formatted(status, priority), "title")),
                Arguments.of("update_task", schema("""
                        "id": {"type": "integer"}, "updates": {"type": "object"}, "expect": {"type": "object"}
                        """, "id", "updates")),
                Arguments.of("delete_task", schema("\"id\": {\"type\": \"integer\"}", "id")),
                Arguments.of("get_task", schema("\"id\": {\"type\": \"integer\"}", "id")),
                Arguments.of("get_task_history", schema("""
                        "id": {"type": "integer"}, "limit": {"type": "integer"}
                        """, "id")),
                Arguments.of("query_tasks", schema("""
                        "filters": {"type": "object"}, "sort": {"type": "string"}, "order": {"type": "string"},
                        "limit": {"type": "integer"}, "cursor": {"type": "string"}
                        """)),
                Arguments.of("get_stats", schema("")),
                Arguments.of("get_instance_state", schema("\"instance_id\": {\"type\": \"string\"}", "instance_id")),
                Arguments.of("set_instance_state", schema("""
                        "instance_id": {"type": "string"}, "state": {"type": "object"}
                        """, "instance_id", "state")),
                Arguments.of("list_active_instances", schema("")),
                Arguments.of("heartbeat", schema("\"instance_id\": {\"type\": \"string\"}", "instance_id")),
                Arguments.of("claim_task", schema("""
                        "id": {"type": "integer"}, "assignee": {"type": "string"}, "lease_seconds": {"type": "integer"}
                        """, "id", "assignee")),
                Arguments.of("claim_next_task", schema("""
                        "assignee": {"type": "string"}, "filters": {"type": "object"}, "lease_seconds": {"type": "integer"}
                        """, "assignee")),
                Arguments.of("release_task", schema("""
                        "id": {"type": "integer"}, "assignee": {"type": "string"}, "force": {"type": "boolean"}
                        """, "id", "assignee")),
                Arguments.of("complete_task", schema("""
                        "id": {"type": "integer"}, "assignee": {"type": "string"}, "metadata": {"type": "object"},
                        "force": {"type": "boolean"}
                        """, "id", "assignee")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schemas")
    void each_tool_declares_its_exact_input_schema(String tool, JsonNode expected) {
        JsonNode schema = tool(tool).get("inputSchema");

        assertThat(withoutPropertyDescriptions(schema)).isEqualTo(expected);
    }

    @Test
    void every_argument_of_every_tool_is_described() {
        for (JsonNode tool : mcp.tools()) {
            assertThat(tool.path("description").asText()).as("description of %s", tool.get("name")).isNotBlank();
            tool.get("inputSchema").get("properties").fields().forEachRemaining(p -> assertThat(
                    p.getValue().path("description").asText()).as("%s.%s", tool.get("name"), p.getKey()).isNotBlank());
        }
    }

    @ParameterizedTest(name = "{0} names {1}")
    @CsvSource(delimiter = '|', value = {
            "create_task        | " + STATUSES, "create_task  | " + PRIORITIES,
            "update_task        | " + STATUSES, "update_task  | " + PRIORITIES,
            "query_tasks        | " + STATUSES, "query_tasks  | " + PRIORITIES,
            "set_instance_state | active, idle, busy",
            "get_instance_state | active, idle, busy",
            "claim_next_task    | critical, high, medium, low"})
    void descriptions_name_the_valid_values(String tool, String values) {
        assertThat(tool(tool).get("description").asText()).contains(values);
    }

    @Test
    void stdout_carries_nothing_but_json_rpc() {
        mcp.ok("query_tasks", "{\"limit\": 1}");

        assertThat(mcp.stdoutLines()).isNotEmpty().allSatisfy(line ->
                assertThat(McpClient.json(line).path("jsonrpc").asText()).as(line).isEqualTo("2.0"));
    }

    @Test
    void an_unknown_tool_is_a_json_rpc_error() {
        JsonNode response = mcp.response("tools/call", McpClient.json("{\"name\": \"create_tasks\", \"arguments\": {}}"));

        assertThat(response.path("error").path("code").asInt()).isEqualTo(-32602);
    }

    // ---- tasks

    @Test
    void create_task_returns_the_task_with_the_defaults_and_empty_metadata() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Update API documentation\"}");

        assertThat(task.get("id").asLong()).isPositive();
        assertThat(task.get("title").asText()).isEqualTo("Update API documentation");
        assertThat(task.get("status").asText()).isEqualTo("pending");
        assertThat(task.get("priority").asText()).isEqualTo("medium");
        assertThat(task.get("metadata")).isEqualTo(McpClient.json("{}"));
        assertThat(task.get("subtask_ids")).isEqualTo(McpClient.json("[]"));
        for (String absent : List.of("description", "assignee", "parent_task_id", "completed_at")) {
            assertThat(task.has(absent)).as(absent).isTrue();
            assertThat(task.get(absent).isNull()).as(absent).isTrue();
        }
    }

    @Test
    void timestamps_are_naive_utc_with_milliseconds() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Research new testing framework\"}");

        for (String field : List.of("created_at", "updated_at")) {
            assertNaiveUtcNow(field, task.get(field).asText());
        }
    }

    @Test
    void create_task_keeps_the_metadata_it_was_given() {
        String metadata = "{\"category\": \"code-review\", \"estimate\": \"30min\", \"story_points\": 5, "
                + "\"tags\": [\"performance\", \"database\"], \"nested\": {\"approved\": true, \"ratio\": 0.5}}";

        JsonNode created = mcp.ok("create_task", "{\"title\": \"Review code\", \"priority\": \"high\", \"metadata\": %s}".formatted(metadata));

        assertThat(created.get("metadata")).isEqualTo(McpClient.json(metadata));
        assertThat(get(created).get("metadata")).isEqualTo(McpClient.json(metadata));
    }

    @Test
    void a_subtask_is_listed_in_its_parents_subtask_ids() {
        JsonNode parent = mcp.ok("create_task", "{\"title\": \"Build User Authentication System\", \"priority\": \"critical\"}");

        JsonNode subtask = mcp.ok("create_task", "{\"title\": \"Design database schema\", \"parent_task_id\": %d}".formatted(id(parent)));

        assertThat(subtask.get("parent_task_id").asLong()).isEqualTo(id(parent));
        assertThat(ids(get(parent).get("subtask_ids"))).containsExactly(id(subtask));
    }

    @Test
    void get_task_answers_what_create_task_answered() {
        JsonNode created = mcp.ok("create_task", "{\"title\": \"Process dataset A\", \"description\": \"rows 1 to 1000\"}");

        assertThat(get(created)).isEqualTo(created);
    }

    @Test
    void get_task_of_an_unknown_id_is_an_error_that_names_it() {
        McpClient.ToolResult result = mcp.call("get_task", "{\"id\": 987654321}");

        assertThat(result.isError()).isTrue();
        assertThat(result.text()).isEqualTo("Task 987654321 not found");
    }

    @Test
    void update_task_changes_only_the_fields_given() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Add rate limiting\", \"description\": \"per user\", "
                + "\"priority\": \"high\", \"metadata\": {\"story_points\": 3}}");

        JsonNode updated = mcp.ok("update_task", "{\"id\": %d, \"updates\": {\"status\": \"in_progress\", \"assignee\": \"worker-1\"}}"
                .formatted(id(task)));

        assertThat(updated.get("status").asText()).isEqualTo("in_progress");
        assertThat(updated.get("assignee").asText()).isEqualTo("worker-1");
        for (String kept : List.of("title", "description", "priority", "metadata", "created_at")) {
            assertThat(updated.get(kept)).as(kept).isEqualTo(task.get(kept));
        }
        assertThat(get(task)).isEqualTo(updated);
    }

    @Test
    void update_task_with_a_null_assignee_clears_it() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Orphaned task\", \"assignee\": \"gone-worker\"}");

        JsonNode updated = mcp.ok("update_task", "{\"id\": %d, \"updates\": {\"assignee\": null, \"status\": \"pending\"}}".formatted(id(task)));

        assertThat(updated.get("assignee").isNull()).isTrue();
    }

    @Test
    void update_task_with_expect_fails_when_the_task_moved_on() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Review PR #7\"}");
        mcp.ok("update_task", "{\"id\": %d, \"updates\": {\"status\": \"in_progress\", \"assignee\": \"reviewer-alice\"}}".formatted(id(task)));

        McpClient.ToolResult lost = mcp.call("update_task", ("{\"id\": %d, \"updates\": {\"status\": \"in_progress\", "
                + "\"assignee\": \"reviewer-bob\"}, \"expect\": {\"status\": \"pending\"}}").formatted(id(task)));

        assertThat(lost.isError()).isTrue();
        assertThat(lost.text()).contains("in_progress").contains("reviewer-alice");
        assertThat(get(task).get("assignee").asText()).isEqualTo("reviewer-alice");
    }

    @Test
    void update_task_of_an_unknown_id_is_an_error_that_names_it() {
        McpClient.ToolResult result = mcp.call("update_task", "{\"id\": 987654322, \"updates\": {\"status\": \"completed\"}}");

        assertThat(result.isError()).isTrue();
        assertThat(result.text()).isEqualTo("Task 987654322 not found");
    }

    @Test
    void delete_task_removes_the_task_and_its_subtasks() {
        JsonNode parent = mcp.ok("create_task", "{\"title\": \"Sprint 15 - API Improvements\"}");
        JsonNode story = mcp.ok("create_task", "{\"title\": \"Implement API caching\", \"parent_task_id\": %d}".formatted(id(parent)));

        JsonNode deleted = mcp.ok("delete_task", "{\"id\": %d}".formatted(id(parent)));

        assertThat(deleted.get("success").asBoolean()).isTrue();
        assertThat(deleted.get("deleted_task").get("id").asLong()).isEqualTo(id(parent));
        assertThat(ids(deleted.get("deleted_ids"))).containsExactlyInAnyOrder(id(parent), id(story));
        assertThat(mcp.call("get_task", "{\"id\": %d}".formatted(id(story))).text()).isEqualTo("Task " + id(story) + " not found");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "create_task     | {\"title\": \"x\", \"status\": \"done\"}               | Invalid status. Must be one of: pending, in_progress, completed, blocked",
            "update_task     | {\"id\": %d, \"updates\": {\"status\": \"done\"}}      | Invalid status. Must be one of: pending, in_progress, completed, blocked",
            "query_tasks     | {\"filters\": {\"status\": \"done\"}}                  | Invalid status. Must be one of: pending, in_progress, completed, blocked",
            "create_task     | {\"title\": \"x\", \"priority\": \"urgent\"}           | Invalid priority. Must be one of: low, medium, high, critical",
            "update_task     | {\"id\": %d, \"updates\": {\"priority\": \"urgent\"}}  | Invalid priority. Must be one of: low, medium, high, critical",
            "query_tasks     | {\"filters\": {\"priority\": \"urgent\"}}              | Invalid priority. Must be one of: low, medium, high, critical",
            "set_instance_state | {\"instance_id\": \"w\", \"state\": {\"status\": \"asleep\"}} | Invalid status. Must be one of: active, idle, busy"})
    void an_invalid_value_is_an_error_that_lists_the_valid_ones(String tool, String arguments, String message) {
        long existing = id(mcp.ok("create_task", "{\"title\": \"a task to update\"}"));

        McpClient.ToolResult result = mcp.call(tool, arguments.formatted(existing));

        assertThat(result.isError()).isTrue();
        assertThat(result.text()).isEqualTo(message);
    }

    @ParameterizedTest(name = "{0} {1} names {2}")
    @CsvSource(delimiter = '|', value = {
            "create_task           | {}                            | title",
            "update_task           | {\"updates\": {}}             | id",
            "update_task           | {\"id\": %d}                  | updates",
            "delete_task           | {}                            | id",
            "get_task              | {}                            | id",
            "get_instance_state    | {}                            | instance_id",
            "set_instance_state    | {\"state\": {}}               | instance_id",
            "set_instance_state    | {\"instance_id\": \"w\"}      | state",
            "heartbeat             | {}                            | instance_id",
            "claim_task            | {\"assignee\": \"w\"}         | id",
            "claim_task            | {\"id\": %d}                  | assignee",
            "claim_next_task       | {}                            | assignee",
            "release_task          | {\"id\": %d}                  | assignee",
            "complete_task         | {\"id\": %d}                  | assignee"})
    void a_missing_required_argument_is_an_error_that_names_it(String tool, String arguments, String argument) {
        long existing = id(mcp.ok("create_task", "{\"title\": \"a task to name\"}"));

        McpClient.ToolResult result = mcp.call(tool, arguments.formatted(existing));

        assertThat(result.isError()).isTrue();
        assertThat(result.text()).startsWithIgnoringCase(argument + " is required");
    }

    // ---- queries

    @Test
    void query_tasks_with_no_arguments_returns_an_array() {
        mcp.ok("create_task", "{\"title\": \"at least one task\"}");

        McpClient.ToolResult result = mcp.callWithoutArguments("query_tasks");

        assertThat(result.isError()).as(result.text()).isFalse();
        assertThat(result.json().isArray()).isTrue();
        assertThat(result.json()).isNotEmpty();
    }

    @Test
    void query_tasks_filters_combine() {
        String tag = tag();
        JsonNode wanted = mcp.ok("create_task", "{\"title\": \"%s Process dataset A\", \"priority\": \"high\"}".formatted(tag));
        mcp.ok("create_task", "{\"title\": \"%s Process dataset B\", \"priority\": \"high\", \"status\": \"in_progress\"}".formatted(tag));
        mcp.ok("create_task", "{\"title\": \"%s Process dataset C\", \"priority\": \"medium\"}".formatted(tag));

        JsonNode found = mcp.ok("query_tasks", "{\"filters\": {\"status\": \"pending\", \"priority\": \"high\", \"title_contains\": \"%s\"}}"
                .formatted(tag.toUpperCase()));

        assertThat(ids(found, "id")).containsExactly(id(wanted));
    }

    @Test
    void query_tasks_finds_the_subtasks_of_a_parent() {
        JsonNode parent = mcp.ok("create_task", "{\"title\": \"Sprint 16\"}");
        JsonNode first = mcp.ok("create_task", "{\"title\": \"story 1\", \"parent_task_id\": %d}".formatted(id(parent)));
        JsonNode second = mcp.ok("create_task", "{\"title\": \"story 2\", \"parent_task_id\": %d}".formatted(id(parent)));

        JsonNode found = mcp.ok("query_tasks", "{\"filters\": {\"parent_task_id\": %d}}".formatted(id(parent)));

        assertThat(ids(found, "id")).containsExactly(id(second), id(first));
    }

    @Test
    void query_tasks_lists_newest_first_even_for_tasks_created_back_to_back() {
        String tag = tag();
        List<Long> created = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            created.add(id(mcp.ok("create_task", "{\"title\": \"%s task %d\"}".formatted(tag, n))));
        }

        JsonNode found = mcp.ok("query_tasks", "{\"filters\": {\"title_contains\": \"%s\"}}".formatted(tag));

        Collections.reverse(created);
        assertThat(ids(found, "id")).containsExactlyElementsOf(created);
    }

    @Test
    void query_tasks_answers_at_most_100_and_names_the_cursor_of_the_rest() {
        String tag = tag();
        createTasks(tag, 105);

        McpClient.ToolResult page = mcp.call("query_tasks", "{\"filters\": {\"title_contains\": \"%s\"}}".formatted(tag));

        assertThat(page.isError()).as(page.text()).isFalse();
        assertThat(page.json()).hasSize(100);
        assertThat(page.texts()).hasSize(2);
        assertThat(page.texts().get(1)).containsPattern(CURSOR);
    }

    @Test
    void the_cursor_answers_the_next_page() {
        String tag = tag();
        Set<Long> created = createTasks(tag, 105);
        String filters = "{\"title_contains\": \"%s\"}".formatted(tag);
        McpClient.ToolResult first = mcp.call("query_tasks", "{\"filters\": %s}".formatted(filters));

        McpClient.ToolResult second = mcp.call("query_tasks", "{\"filters\": %s, \"cursor\": \"%s\"}".formatted(filters, cursor(first)));

        assertThat(second.isError()).as(second.text()).isFalse();
        assertThat(second.texts()).as("the last page names no cursor").hasSize(1);
        List<Long> all = new ArrayList<>(ids(first.json(), "id"));
        all.addAll(ids(second.json(), "id"));
        assertThat(all).hasSize(105).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
    }

    @Test
    void query_tasks_takes_a_smaller_limit() {
        String tag = tag();
        createTasks(tag, 3);

        McpClient.ToolResult page = mcp.call("query_tasks", "{\"filters\": {\"title_contains\": \"%s\"}, \"limit\": 2}".formatted(tag));

        assertThat(page.json()).hasSize(2);
        assertThat(page.texts().get(1)).containsPattern(CURSOR);
    }

    // ---- instances

    @Test
    void heartbeat_registers_an_active_instance() {
        String instance = tag();

        JsonNode beat = mcp.ok("heartbeat", "{\"instance_id\": \"%s\"}".formatted(instance));

        assertThat(beat.get("instance_id").asText()).isEqualTo(instance);
        assertThat(beat.get("status").asText()).isEqualTo("active");
        assertThat(beat.get("active").asBoolean()).isTrue();
        assertThat(beat.get("metadata")).isEqualTo(McpClient.json("{}"));
        assertNaiveUtcNow("last_heartbeat", beat.get("last_heartbeat").asText());
    }

    @Test
    void set_instance_state_is_what_get_instance_state_answers() {
        String instance = tag();
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Process dataset D\"}");

        JsonNode set = mcp.ok("set_instance_state", ("{\"instance_id\": \"%s\", \"state\": {\"status\": \"busy\", "
                + "\"current_task_id\": %d, \"working_directory\": \"/workspace/worker-1\", "
                + "\"metadata\": {\"capabilities\": [\"data-processing\"]}}}").formatted(instance, id(task)));

        JsonNode got = mcp.ok("get_instance_state", "{\"instance_id\": \"%s\"}".formatted(instance));
        assertThat(got.get("status").asText()).isEqualTo("busy");
        assertThat(got.get("current_task_id").asLong()).isEqualTo(id(task));
        assertThat(got.get("working_directory").asText()).isEqualTo("/workspace/worker-1");
        assertThat(got.get("metadata")).isEqualTo(McpClient.json("{\"capabilities\": [\"data-processing\"]}"));
        assertThat(got.get("last_heartbeat")).isEqualTo(set.get("last_heartbeat"));
    }

    @Test
    void get_instance_state_of_an_unknown_instance_is_an_error_that_names_it() {
        String instance = tag();

        McpClient.ToolResult result = mcp.call("get_instance_state", "{\"instance_id\": \"%s\"}".formatted(instance));

        assertThat(result.isError()).isTrue();
        assertThat(result.text()).isEqualTo("Instance " + instance + " not found");
    }

    @Test
    void list_active_instances_includes_an_instance_that_just_sent_a_heartbeat() {
        String instance = tag();
        mcp.ok("heartbeat", "{\"instance_id\": \"%s\"}".formatted(instance));

        JsonNode active = mcp.ok("list_active_instances", "{}");

        assertThat(active.isArray()).isTrue();
        assertThat(StreamSupport.stream(active.spliterator(), false).map(i -> i.get("instance_id").asText())).contains(instance);
    }

    // ---- claims

    @Test
    void claim_task_starts_the_task_for_the_assignee() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Fix memory leak in worker process\", \"priority\": \"critical\"}");

        JsonNode claimed = mcp.ok("claim_task", "{\"id\": %d, \"assignee\": \"worker-1\"}".formatted(id(task)));

        assertThat(claimed.get("status").asText()).isEqualTo("in_progress");
        assertThat(claimed.get("assignee").asText()).isEqualTo("worker-1");
    }

    @Test
    void claim_task_of_a_task_someone_holds_is_an_error_that_names_the_holder() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Process dataset E\"}");
        mcp.ok("claim_task", "{\"id\": %d, \"assignee\": \"worker-1\"}".formatted(id(task)));

        McpClient.ToolResult lost = mcp.call("claim_task", "{\"id\": %d, \"assignee\": \"worker-2\"}".formatted(id(task)));

        assertThat(lost.isError()).isTrue();
        assertThat(lost.text()).contains("worker-1");
    }

    @Test
    void claim_next_task_takes_the_most_urgent_matching_task() {
        String tag = tag();
        mcp.ok("create_task", "{\"title\": \"%s low\", \"priority\": \"low\"}".formatted(tag));
        JsonNode critical = mcp.ok("create_task", "{\"title\": \"%s critical\", \"priority\": \"critical\"}".formatted(tag));
        mcp.ok("create_task", "{\"title\": \"%s high\", \"priority\": \"high\"}".formatted(tag));

        JsonNode claimed = mcp.ok("claim_next_task", "{\"assignee\": \"worker-3\", \"filters\": {\"title_contains\": \"%s\"}}".formatted(tag));

        assertThat(claimed.get("id").asLong()).isEqualTo(id(critical));
        assertThat(claimed.get("status").asText()).isEqualTo("in_progress");
        assertThat(claimed.get("assignee").asText()).isEqualTo("worker-3");
    }

    @Test
    void claim_next_task_answers_null_when_nothing_matches() {
        McpClient.ToolResult result = mcp.call("claim_next_task", "{\"assignee\": \"worker-4\", \"filters\": {\"title_contains\": \"%s\"}}"
                .formatted(tag()));

        assertThat(result.isError()).as(result.text()).isFalse();
        assertThat(result.text()).isEqualTo("null");
    }

    @Test
    void release_task_puts_the_task_back_to_pending_with_no_assignee() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Process dataset F\"}");
        mcp.ok("claim_task", "{\"id\": %d, \"assignee\": \"worker-5\"}".formatted(id(task)));

        JsonNode released = mcp.ok("release_task", "{\"id\": %d, \"assignee\": \"worker-5\"}".formatted(id(task)));

        assertThat(released.get("status").asText()).isEqualTo("pending");
        assertThat(released.get("assignee").isNull()).isTrue();
    }

    @Test
    void complete_task_merges_the_metadata_and_records_when() {
        JsonNode task = mcp.ok("create_task", "{\"title\": \"Process dataset G\", \"metadata\": {\"rows\": 1000}}");
        mcp.ok("claim_task", "{\"id\": %d, \"assignee\": \"worker-6\"}".formatted(id(task)));

        JsonNode done = mcp.ok("complete_task", "{\"id\": %d, \"assignee\": \"worker-6\", \"metadata\": {\"result\": \"ok\"}}".formatted(id(task)));

        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(done.get("metadata")).isEqualTo(McpClient.json("{\"rows\": 1000, \"result\": \"ok\"}"));
        assertNaiveUtcNow("completed_at", done.get("completed_at").asText());
    }

    // ---- the process

    @Test
    void closing_stdin_ends_the_process() {
        McpStdioClient own = launch();
        own.initialize();

        own.closeStdin();

        assertThat(own.awaitExit(EXIT_DEADLINE)).as("exited within %s of stdin closing", EXIT_DEADLINE).isTrue();
        assertThat(own.process().exitValue()).isZero();
    }

    @Test
    void requests_written_just_before_stdin_closes_are_still_answered() {
        McpStdioClient own = launch();
        String tag = tag();

        own.writeRaw(String.join("\n",
                "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"initialize\", \"params\": {\"protocolVersion\": \"2025-06-18\", "
                        + "\"capabilities\": {}, \"clientInfo\": {\"name\": \"pipe\", \"version\": \"1\"}}}",
                "{\"jsonrpc\": \"2.0\", \"method\": \"notifications/initialized\"}",
                "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"tools/call\", \"params\": {\"name\": \"create_task\", "
                        + "\"arguments\": {\"title\": \"" + tag + " piped\"}}}",
                "{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": \"tools/call\", \"params\": {\"name\": \"heartbeat\", "
                        + "\"arguments\": {\"instance_id\": \"" + tag + "\"}}}") + "\n");
        own.closeStdin();

        assertThat(own.awaitExit(EXIT_DEADLINE)).as("exited within %s of stdin closing", EXIT_DEADLINE).isTrue();
        await("all three answers on stdout").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(own.stdoutLines().stream().map(McpClient::json).map(m -> m.path("id").asInt()))
                        .containsExactlyInAnyOrder(1, 2, 3));
        assertThat(sdk.queryPage(TaskQuery.all().titleContains(tag), null).tasks())
                .extracting(Task::title).containsExactly(tag + " piped");
    }

    // ---- helpers

    private static McpStdioClient launch() {
        McpStdioClient client = McpStdioClient.connectedTo(logs.resolve("mcp-" + (launched.size() + 1) + ".log"),
                app.baseUrl(), app.server().bootstrapServers(), app.topicPrefix());
        launched.add(client);
        return client;
    }

    private static JsonNode tool(String name) {
        return mcp.tools().stream().filter(t -> t.get("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("No tool " + name));
    }

    private static JsonNode schema(String properties, String... required) {
        String names = Stream.of(required).map(r -> "\"" + r + "\"").reduce((a, b) -> a + ", " + b).orElse("");
        return McpClient.json("{\"type\": \"object\", \"properties\": {%s}, \"required\": [%s], \"additionalProperties\": false}"
                .formatted(properties, names));
    }

    private static JsonNode withoutPropertyDescriptions(JsonNode schema) {
        ObjectNode copy = schema.deepCopy();
        copy.path("properties").forEach(p -> ((ObjectNode) p).remove("description"));
        return copy;
    }

    private static void assertNaiveUtcNow(String field, String value) {
        assertThat(value).as(field).matches(NAIVE_MILLIS);
        LocalDateTime time = LocalDateTime.parse(value);
        LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
        assertThat(time).as("%s in UTC", field).isBetween(now.minusMinutes(2), now.plusMinutes(1));
    }

    private static JsonNode get(JsonNode task) {
        return mcp.ok("get_task", "{\"id\": %d}".formatted(id(task)));
    }

    /** Creates {@code count} tasks titled with {@code tag} through the SDK, all at once; their ids. */
    private static Set<Long> createTasks(String tag, int count) {
        List<CompletableFuture<Task>> created = IntStream.range(0, count)
                .mapToObj(n -> sdk.createTaskAsync(NewTask.titled(tag + " task " + n))).toList();
        Set<Long> ids = new HashSet<>();
        created.forEach(f -> ids.add(f.join().id()));
        return ids;
    }

    private static String cursor(McpClient.ToolResult page) {
        assertThat(page.texts()).as("a page with more to come").hasSize(2);
        Matcher m = CURSOR.matcher(page.texts().get(1));
        assertThat(m.find()).as(page.texts().get(1)).isTrue();
        return m.group(1);
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

    private static String tag() {
        return "t" + UUID.randomUUID().toString().substring(0, 8);
    }
}
