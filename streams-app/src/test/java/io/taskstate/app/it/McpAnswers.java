package io.taskstate.app.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** What is wrong, if anything, with the answer to a malformed MCP message. */
final class McpAnswers {
    private McpAnswers() {
    }

    static String problemOf(McpProbes.Probe probe, RawHttp.Answer answer) {
        int status = answer.status();
        if (status >= 500) {
            return "server error";
        }
        String text = new String(answer.body(), StandardCharsets.UTF_8);
        if (status >= 400) {
            JsonNode body = parse(text);
            if (body == null) {
                return "an error without a JSON body";
            }
            String message = body.has("detail") ? body.path("detail").asText("") : body.path("error").path("message").asText("");
            return message.isBlank() ? "an error that does not say what is wrong" : tooLong(message);
        }
        if (probe.id() == null) {
            return probe.mustFail() ? "accepted" : null;
        }
        JsonNode message = answerTo(probe.id(), text);
        if (message == null) {
            return "no answer to request " + probe.id();
        }
        if (message.has("error")) {
            String error = message.path("error").path("message").asText("");
            return error.isBlank() ? "a JSON-RPC error without a message" : tooLong(error);
        }
        JsonNode result = message.path("result");
        if (!result.path("isError").asBoolean(false)) {
            return probe.mustFail() ? "accepted" : null;
        }
        String error = result.path("content").path(0).path("text").asText("");
        if (error.isBlank() || error.startsWith("Internal error")) {
            return "a tool error that does not say what is wrong";
        }
        return tooLong(error);
    }

    private static String tooLong(String message) {
        return message.length() > 1_000 ? "a message of " + message.length() + " characters" : null;
    }

    /** The JSON-RPC response with {@code id}, from a JSON body or a server-sent event stream. */
    private static JsonNode answerTo(long id, String text) {
        JsonNode whole = parse(text);
        if (whole != null) {
            return whole.path("id").asLong(-1) == id ? whole : null;
        }
        for (String line : text.split("\r?\n")) {
            if (line.startsWith("data:")) {
                JsonNode message = parse(line.substring("data:".length()).trim());
                if (message != null && message.path("id").asLong(-1) == id) {
                    return message;
                }
            }
        }
        return null;
    }

    private static JsonNode parse(String text) {
        try {
            return text.isBlank() ? null : Json.tree(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        }
    }
}
