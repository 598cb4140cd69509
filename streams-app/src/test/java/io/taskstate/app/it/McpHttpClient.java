package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.http.ApiServer;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * MCP over Streamable HTTP: each message a POST to {@code <app>/mcp}; answers come as JSON or as
 * {@code text/event-stream} {@code data:} lines; the {@code Mcp-Session-Id} that initialize returns
 * goes on every later request.
 */
final class McpHttpClient extends McpClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final URI endpoint;
    private final String token;
    private String sessionId;

    McpHttpClient(String baseUrl) {
        this(baseUrl, null);
    }

    /** Sends {@code Authorization: Bearer token} with every message ({@code null}: none). */
    McpHttpClient(String baseUrl, String token) {
        this.endpoint = URI.create(baseUrl + ApiServer.MCP_PATH);
        this.token = token;
    }

    /** The session initialize opened, or null before it. */
    String sessionId() {
        return sessionId;
    }

    @Override
    JsonNode exchange(ObjectNode request) {
        HttpResponse<String> response = post(request);
        assertThat(response.statusCode()).as("POST %s %s: %s", endpoint, request, response.body()).isEqualTo(200);
        if (sessionId == null) {
            sessionId = response.headers().firstValue("Mcp-Session-Id").orElse(null);
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("text/event-stream")) {
            return json(response.body());
        }
        for (String line : response.body().split("\r?\n")) {
            if (line.startsWith("data:")) {
                JsonNode message = json(line.substring("data:".length()).trim());
                if (message.path("id").asLong(-1) == request.get("id").asLong()) {
                    return message;
                }
            }
        }
        throw new AssertionError("No answer to " + request + " in the event stream: " + response.body());
    }

    @Override
    void send(ObjectNode notification) {
        HttpResponse<String> response = post(notification);
        assertThat(response.statusCode()).as("POST %s %s: %s", endpoint, notification, response.body()).isEqualTo(202);
    }

    private HttpResponse<String> post(ObjectNode message) {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(ANSWER_DEADLINE)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(Json.string(message)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (sessionId != null) {
            request.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", PROTOCOL_VERSION);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + endpoint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during POST " + endpoint, e);
        }
    }

    /** Ends the session, as a host does when it disconnects. */
    @Override
    public void close() {
        if (sessionId == null) {
            return;
        }
        try {
            HttpRequest.Builder end = HttpRequest.newBuilder(endpoint).timeout(ANSWER_DEADLINE).header("Mcp-Session-Id", sessionId);
            if (token != null) {
                end.header("Authorization", "Bearer " + token);
            }
            HTTP.send(end.DELETE().build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            // the app may be stopping already; the session goes with it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
