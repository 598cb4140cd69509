package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An MCP client for tests, the way an agent's host talks to taskstate: JSON-RPC 2.0 requests,
 * notifications and tool calls, over stdio ({@link McpStdioClient}) or Streamable HTTP
 * ({@link McpHttpClient}).
 */
abstract class McpClient implements AutoCloseable {
    static final String PROTOCOL_VERSION = "2025-06-18";
    /** How long any one answer may take: a tool call is a Kafka round trip, well under this. */
    static final Duration ANSWER_DEADLINE = Duration.ofSeconds(30);

    private final AtomicLong ids = new AtomicLong();

    /** Sends {@code request} and returns the whole JSON-RPC response to it. */
    abstract JsonNode exchange(ObjectNode request);

    /** Sends a JSON-RPC notification, which has no answer. */
    abstract void send(ObjectNode notification);

    /** The JSON-RPC response to {@code method}, whether a result or an error. */
    JsonNode response(String method, JsonNode params) {
        ObjectNode request = Json.object();
        request.put("jsonrpc", "2.0");
        request.put("id", ids.incrementAndGet());
        request.put("method", method);
        if (params != null) {
            request.set("params", params);
        }
        JsonNode response = exchange(request);
        assertThat(response.path("jsonrpc").asText()).as("jsonrpc of %s", response).isEqualTo("2.0");
        assertThat(response.path("id").asLong()).as("id of %s", response).isEqualTo(request.get("id").asLong());
        return response;
    }

    /** The result of {@code method}; fails the test on a JSON-RPC error. */
    JsonNode request(String method, JsonNode params) {
        JsonNode response = response(method, params);
        assertThat(response.has("error")).as("%s answered %s", method, response).isFalse();
        return response.get("result");
    }

    void notify(String method) {
        ObjectNode notification = Json.object();
        notification.put("jsonrpc", "2.0");
        notification.put("method", method);
        send(notification);
    }

    /** The MCP handshake: initialize, then notifications/initialized. Returns initialize's result. */
    JsonNode initialize() {
        JsonNode result = request("initialize", json("""
                {"protocolVersion": "%s", "capabilities": {}, "clientInfo": {"name": "taskstate-it", "version": "1"}}
                """.formatted(PROTOCOL_VERSION)));
        notify("notifications/initialized");
        return result;
    }

    /** tools/list: every tool with its name, description and input schema. */
    List<JsonNode> tools() {
        List<JsonNode> tools = new ArrayList<>();
        request("tools/list", Json.object()).get("tools").forEach(tools::add);
        return tools;
    }

    /** tools/call of {@code tool} with {@code arguments}, a JSON object's text. */
    ToolResult call(String tool, String arguments) {
        ObjectNode params = Json.object();
        params.put("name", tool);
        params.set("arguments", json(arguments));
        return ToolResult.of(request("tools/call", params));
    }

    /** tools/call of {@code tool} with no {@code arguments} member at all. */
    ToolResult callWithoutArguments(String tool) {
        ObjectNode params = Json.object();
        params.put("name", tool);
        return ToolResult.of(request("tools/call", params));
    }

    /** The result of a successful call, parsed; fails the test on {@code isError}. */
    JsonNode ok(String tool, String arguments) {
        ToolResult result = call(tool, arguments);
        assertThat(result.isError()).as("%s(%s) failed: %s", tool, arguments, result.texts()).isFalse();
        return result.json();
    }

    @Override
    public abstract void close();

    static JsonNode json(String text) {
        try {
            return Json.tree(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Not JSON: " + text, e);
        }
    }

    /** What a tool answered: {@code isError} and the text of each content item, in order. */
    record ToolResult(boolean isError, List<String> texts) {
        static ToolResult of(JsonNode result) {
            List<String> texts = new ArrayList<>();
            for (JsonNode content : result.get("content")) {
                assertThat(content.path("type").asText()).as("content type in %s", result).isEqualTo("text");
                texts.add(content.get("text").asText());
            }
            assertThat(texts).as("content of %s", result).isNotEmpty();
            return new ToolResult(result.path("isError").asBoolean(false), texts);
        }

        /** The first text, the tool's answer or error message. */
        String text() {
            return texts.get(0);
        }

        /** The first text parsed as JSON, as a client does. */
        JsonNode json() {
            return McpClient.json(text());
        }
    }
}
