package io.taskstate.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Reads from the HTTP API. A non-2xx answer completes the future with {@link HttpApi.Problem},
 * carrying the RFC 9457 problem details the server sent. With a token, every request carries it
 * as {@code Authorization: Bearer}.
 */
public final class HttpApi {
    private final HttpClient http;
    private final URI base;
    private final Duration timeout;
    private final String authorization;

    public HttpApi(URI base, Duration timeout) {
        this(base, timeout, null);
    }

    /** @param token the bearer token to send, or {@code null} for none */
    public HttpApi(URI base, Duration timeout, String token) {
        this.base = base;
        this.timeout = timeout;
        this.authorization = token == null ? null : "Bearer " + token;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** GETs {@code pathAndQuery} (relative to the base URL) and parses the JSON body. */
    public CompletableFuture<JsonNode> get(String pathAndQuery) {
        return getResponse(pathAndQuery).thenApply(Answer::body);
    }

    /** GETs {@code pathAndQuery} and keeps the answer's headers too. */
    public CompletableFuture<Answer> getResponse(String pathAndQuery) {
        return send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).GET());
    }

    /** A 2xx answer: its body ({@code null} for 204) and headers. */
    public record Answer(JsonNode body, java.net.http.HttpHeaders headers) {
    }

    /** POSTs {@code body} as JSON; an empty answer (204) completes with {@code null}. */
    public CompletableFuture<JsonNode> post(String path, JsonNode body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))).thenApply(Answer::body);
    }

    /**
     * Opens a Server-Sent Events stream at {@code pathAndQuery}, resuming after {@code lastEventId}
     * when not {@code null}, asking for {@code accept}; returns once the answer's headers arrived
     * (read the body as it arrives, and close it). The timeout bounds only
     * the wait for them.
     *
     * @throws Problem on a non-2xx answer
     */
    public java.io.InputStream stream(String pathAndQuery, String accept, String lastEventId) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(pathAndQuery)).GET().timeout(timeout)
                .header("Accept", accept);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (lastEventId != null) {
            builder.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<java.io.InputStream> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() / 100 == 2) {
            return response.body();
        }
        byte[] body;
        try (java.io.InputStream in = response.body()) {
            body = in.readAllBytes();
        }
        JsonNode problem;
        try {
            problem = body.length == 0 ? Json.object() : Json.tree(body);
        } catch (IOException e) {
            problem = Json.object();
        }
        throw new Problem(response.statusCode(), problem.path("detail").asText("HTTP " + response.statusCode()));
    }

    private CompletableFuture<Answer> send(HttpRequest.Builder builder) {
        builder.timeout(timeout).header("Accept", "application/json");
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        HttpRequest request = builder.build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            JsonNode body;
            try {
                if (response.statusCode() == 204) {
                    return new Answer(null, response.headers());
                }
                body = response.body().length == 0 ? Json.object() : Json.tree(response.body());
            } catch (IOException e) {
                throw new Problem(response.statusCode(), "Unreadable answer from " + request.uri() + ": " + e.getMessage());
            }
            if (response.statusCode() / 100 != 2) {
                throw new Problem(response.statusCode(), body.path("detail").asText(body.toString()));
            }
            return new Answer(body, response.headers());
        });
    }

    /** A non-2xx answer. */
    public static final class Problem extends RuntimeException {
        private final int status;

        public Problem(int status, String detail) {
            super(detail, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
