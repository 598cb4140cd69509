package io.taskstate.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /openapi.json} describes exactly the routes the HTTP API registers: a route added
 * without its description fails here, and so does a description of a route that is gone. The API
 * server runs without Kafka (reads would answer 503), which is all the document needs.
 */
class OpenApiTest {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final Pattern REF = Pattern.compile("\"\\$ref\"\\s*:\\s*\"#/([^\"]+)\"");

    private static ApiServer server;
    private static JsonNode document;
    private static HttpResponse<String> response;

    @BeforeAll
    static void start() throws Exception {
        server = new ApiServer("127.0.0.1", 0, null, Duration.ofSeconds(1),
                ApiTokens.parse("TASKSTATE_API_TOKENS", java.util.Optional.of("read:secret-read-token"), "TASKSTATE_API_TOKENS_FILE", java.util.Optional.empty()), ApiServer.DEFAULT_MAX_BODY_BYTES);
        int port = server.start();
        response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        document = Json.tree(response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void the_document_is_served_as_json_without_a_token() {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(document.path("openapi").asText()).startsWith("3.");
    }

    @Test
    void every_registered_route_is_described() {
        Set<String> described = described();
        List<String> missing = registered().stream().filter(r -> !described.contains(r)).toList();

        assertThat(missing).as("routes registered in ApiServer but missing from openapi.json").isEmpty();
    }

    @Test
    void every_described_route_is_registered() {
        Set<String> registered = registered();
        List<String> unknown = described().stream().filter(r -> !registered.contains(r)).toList();

        assertThat(unknown).as("routes in openapi.json that ApiServer does not register").isEmpty();
    }

    @Test
    void every_operation_answers_with_a_schema_and_every_reference_resolves() {
        List<String> problems = new ArrayList<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            if (!METHODS.contains(op.getKey())) {
                return;
            }
            JsonNode responses = op.getValue().path("responses");
            if (responses.isEmpty()) {
                problems.add(op.getKey() + " " + path.getKey() + " has no responses");
            }
            if (op.getValue().path("summary").asText().isBlank()) {
                problems.add(op.getKey() + " " + path.getKey() + " has no summary");
            }
        }));
        Matcher refs = REF.matcher(Json.MAPPER.valueToTree(document).toString());
        while (refs.find()) {
            if (document.at("/" + refs.group(1)).isMissingNode()) {
                problems.add("unresolved $ref #/" + refs.group(1));
            }
        }

        assertThat(problems).isEmpty();
        assertThat(document.at("/components/schemas/Task/properties").has("subtask_ids")).isTrue();
        assertThat(document.at("/paths/~1api~1v1~1tasks/post/responses/201/content/application~1json/example/id").isNumber()).isTrue();
    }

    /** Path parameters are normalized to {@code {}}, since a name is the route's own business. */
    private static String normalize(String method, String path) {
        return method.toUpperCase(java.util.Locale.ROOT) + " " + path.replaceAll("\\{[^}]*}", "{}");
    }

    private static Set<String> registered() {
        Set<String> routes = new TreeSet<>();
        server.routes().forEach(r -> {
            String[] parts = r.split(" ", 2);
            routes.add(normalize(parts[0], parts[1]));
        });
        return routes;
    }

    private static Set<String> described() {
        Set<String> routes = new TreeSet<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (METHODS.contains(method)) {
                routes.add(normalize(method, path.getKey()));
            }
        }));
        return routes;
    }
}
