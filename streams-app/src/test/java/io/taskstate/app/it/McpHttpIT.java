package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The same MCP tools over Streamable HTTP at {@code <app>/mcp}, as a remote MCP host reaches them:
 * a session per initialize, answers as JSON or server-sent events.
 */
@ExtendWith(KafkaBroker.class)
class McpHttpIT {
    private static final Pattern NAIVE_MILLIS = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}$");

    private static RunningApp app;
    private static McpHttpClient mcp;
    private static JsonNode initialized;

    @BeforeAll
    static void start() {
        app = RunningApp.start(2);
        mcp = new McpHttpClient(app.baseUrl());
        initialized = mcp.initialize();
    }

    @AfterAll
    static void stop() {
        if (mcp != null) {
            mcp.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void initialize_opens_a_session_on_the_requested_protocol_version() {
        assertThat(mcp.sessionId()).isNotBlank();
        assertThat(initialized.get("protocolVersion").asText()).isEqualTo(McpClient.PROTOCOL_VERSION);
        assertThat(initialized.path("serverInfo").path("name").asText()).isEqualTo("taskstate");
    }

    @Test
    void tools_list_offers_the_same_fourteen_tools_as_stdio() {
        List<String> names = mcp.tools().stream().map(t -> t.get("name").asText()).toList();

        assertThat(names).containsExactlyInAnyOrder(
                "create_task", "update_task", "delete_task", "get_task", "query_tasks",
                "get_instance_state", "set_instance_state", "list_active_instances", "heartbeat",
                "claim_task", "claim_next_task", "release_task", "complete_task", "get_task_history", "get_stats");
    }

    @Test
    void create_task_returns_the_task_and_get_task_reads_it_back() {
        JsonNode created = mcp.ok("create_task", "{\"title\": \"Review code changes from yesterday\", \"priority\": \"high\", "
                + "\"metadata\": {\"category\": \"code-review\"}}");

        JsonNode read = mcp.ok("get_task", "{\"id\": %d}".formatted(created.get("id").asLong()));

        assertThat(read).isEqualTo(created);
        assertThat(read.get("priority").asText()).isEqualTo("high");
        assertThat(read.get("created_at").asText()).matches(NAIVE_MILLIS);
    }

    @Test
    void get_task_of_an_unknown_id_is_an_error_that_names_it() {
        McpClient.ToolResult result = mcp.call("get_task", "{\"id\": 987654321}");

        assertThat(result.isError()).isTrue();
        assertThat(result.text()).isEqualTo("Task 987654321 not found");
    }

    @Test
    void an_invalid_status_is_an_error_that_lists_the_valid_ones() {
        McpClient.ToolResult result = mcp.call("create_task", "{\"title\": \"x\", \"status\": \"done\"}");

        assertThat(result.isError()).isTrue();
        assertThat(result.text()).isEqualTo("Invalid status. Must be one of: pending, in_progress, completed, blocked");
    }

    @Test
    void query_tasks_filters_on_metadata_and_time_and_get_stats_counts() {
        String tag = "mcp" + java.util.UUID.randomUUID().toString().substring(0, 8);
        JsonNode backend = mcp.ok("create_task", "{\"title\": \"" + tag + " a\", \"metadata\": {\"team\": \"backend\", \"tags\": [\"api\"]}}");
        mcp.ok("create_task", "{\"title\": \"" + tag + " b\", \"metadata\": {\"team\": \"frontend\"}}");

        JsonNode byTeam = mcp.ok("query_tasks", "{\"filters\": {\"title_contains\": \"" + tag + "\", \"metadata\": {\"tags\": \"api\"}}}");
        JsonNode byTime = mcp.ok("query_tasks", "{\"filters\": {\"title_contains\": \"" + tag + "\", \"created_before\": \""
                + backend.get("created_at").asText() + "\"}, \"sort\": \"created_at\", \"order\": \"asc\"}");
        McpClient.ToolResult badTime = mcp.call("query_tasks", "{\"filters\": {\"updated_before\": \"soon\"}}");
        JsonNode stats = mcp.ok("get_stats", "{}");

        assertThat(byTeam).extracting(t -> t.get("id").asLong()).containsExactly(backend.get("id").asLong());
        assertThat(byTime).isEmpty();
        assertThat(badTime.isError()).isTrue();
        assertThat(badTime.text()).contains("updated_before must be an ISO-8601 time");
        assertThat(stats.get("total").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(stats.get("by_status").get("pending").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(stats.has("oldest_pending")).isTrue();
    }

    @Test
    void query_tasks_with_no_arguments_returns_an_array() {
        mcp.ok("create_task", "{\"title\": \"at least one task\"}");

        McpClient.ToolResult result = mcp.callWithoutArguments("query_tasks");

        assertThat(result.isError()).as(result.text()).isFalse();
        assertThat(result.json().isArray()).isTrue();
        assertThat(result.json()).isNotEmpty();
    }

    @Test
    void claim_next_task_answers_null_when_nothing_matches() {
        McpClient.ToolResult result = mcp.call("claim_next_task",
                "{\"assignee\": \"worker-1\", \"filters\": {\"title_contains\": \"no task has this title\"}}");

        assertThat(result.isError()).as(result.text()).isFalse();
        assertThat(result.text()).isEqualTo("null");
    }

    @Test
    void a_second_session_sees_what_the_first_created() {
        JsonNode created = mcp.ok("create_task", "{\"title\": \"shared between sessions\"}");

        try (McpHttpClient other = new McpHttpClient(app.baseUrl())) {
            other.initialize();

            assertThat(other.sessionId()).isNotEqualTo(mcp.sessionId());
            assertThat(other.ok("get_task", "{\"id\": %d}".formatted(created.get("id").asLong()))).isEqualTo(created);
        }
    }
}
