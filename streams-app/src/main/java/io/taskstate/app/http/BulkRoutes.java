package io.taskstate.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /api/v1/tasks/bulk} (many creates) and {@code PATCH /api/v1/tasks/bulk} (many
 * updates). Every item is its own command, all sent before any reply is awaited, so a batch costs
 * about one round trip. The answer is 200 with one result per item in request order: the status and
 * task a single request would get, or the status and problem details. With {@code Idempotency-Key},
 * item {@code i} uses the command id {@code <key>/<i>}, so a retried batch changes nothing twice.
 */
final class BulkRoutes {
    /** Most items one bulk request takes. */
    static final int MAX_ITEMS = 1000;

    private final TaskStateClient writer;

    BulkRoutes(TaskStateClient writer) {
        this.writer = writer;
    }

    void register(RoutesConfig r) {
        r.post("/api/v1/tasks/bulk", this::create);
        r.patch("/api/v1/tasks/bulk", this::update);
    }

    private void create(Context ctx) {
        List<JsonNode> items = items(ctx, "tasks", "{\"tasks\": [{\"title\": \"...\"}, ...]}");
        String key = ApiServer.commandId(ctx);
        List<CompletableFuture<JsonNode>> results = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                results.add(refused("tasks[" + i + "] must be a JSON object with a title"));
                continue;
            }
            JsonNode parent = item.get("parent_task_id");
            Long routing = parent != null && parent.isIntegralNumber() && parent.canConvertToLong() && parent.asLong() > 0
                    ? parent.asLong() : null;
            results.add(outcome(writer.write(CommandType.CREATE_TASK, null, routing, (ObjectNode) item, null, key + "/" + i), 201));
        }
        answer(ctx, results);
    }

    private void update(Context ctx) {
        List<JsonNode> items = items(ctx, "updates", "{\"updates\": [{\"id\": 7, \"updates\": {\"status\": \"completed\"}}, ...]}");
        String key = ApiServer.commandId(ctx);
        List<CompletableFuture<JsonNode>> results = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String refusal = refusalOfUpdate(item, i);
            if (refusal != null) {
                results.add(refused(refusal));
                continue;
            }
            long id = item.get("id").asLong();
            JsonNode expect = item.get("expect");
            results.add(outcome(writer.write(CommandType.UPDATE_TASK, id, id, (ObjectNode) item.get("updates"),
                    expect == null || expect.isNull() ? null : (ObjectNode) expect, key + "/" + i), 200));
        }
        answer(ctx, results);
    }

    private static String refusalOfUpdate(JsonNode item, int i) {
        String at = "updates[" + i + "]";
        if (!item.isObject()) {
            return at + " must be a JSON object: {\"id\": 7, \"updates\": {...}}";
        }
        for (String name : (Iterable<String>) item::fieldNames) {
            if (!Set.of("id", "updates", "expect").contains(name)) {
                return "Invalid field: " + at + "." + ApiServer.shorten(name) + ". Allowed: id, updates, expect";
            }
        }
        JsonNode id = item.get("id");
        if (id == null || !id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() <= 0) {
            return at + ".id must be a positive integer task id";
        }
        if (!item.path("updates").isObject()) {
            return at + ".updates must be a JSON object of the fields to change";
        }
        JsonNode expect = item.get("expect");
        if (expect != null && !expect.isNull() && !expect.isObject()) {
            return at + ".expect must be a JSON object of field values, e.g. {\"status\": \"pending\"}";
        }
        return null;
    }

    private static List<JsonNode> items(Context ctx, String field, String example) {
        ObjectNode body = ApiServer.jsonBody(ctx);
        for (String name : (Iterable<String>) body::fieldNames) {
            if (!name.equals(field)) {
                throw ApiException.badRequest("Invalid field: " + ApiServer.shorten(name) + ". Send " + example);
            }
        }
        JsonNode items = body.get(field);
        if (items == null || !items.isArray() || items.isEmpty()) {
            throw ApiException.badRequest(field + " must be a non-empty array: send " + example);
        }
        if (items.size() > MAX_ITEMS) {
            throw new ApiException(413, field + " has " + items.size() + " items; a bulk request takes at most " + MAX_ITEMS
                    + ": split it into several requests");
        }
        List<JsonNode> list = new ArrayList<>();
        items.forEach(list::add);
        return list;
    }

    private static CompletableFuture<JsonNode> refused(String detail) {
        return CompletableFuture.completedFuture(result(new Problems.Problem(400, detail, null)));
    }

    /** The result of one item: its status and task, or its status and problem. Never fails. */
    private static CompletableFuture<JsonNode> outcome(CompletableFuture<JsonNode> write, int okStatus) {
        return write.handle((task, error) -> {
            if (error != null) {
                return result(Problems.classify(error, "a bulk item"));
            }
            ObjectNode r = Json.object();
            r.put("status", okStatus);
            r.set("task", task);
            return r;
        });
    }

    private static JsonNode result(Problems.Problem p) {
        ObjectNode r = Json.object();
        r.put("status", p.status());
        r.set("error", p.json("/api/v1/tasks/bulk"));
        return r;
    }

    private static void answer(Context ctx, List<CompletableFuture<JsonNode>> results) {
        ApiServer.respond(ctx, CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)), ignored -> {
            ObjectNode body = Json.object();
            ArrayNode list = body.putArray("results");
            results.forEach(f -> list.add(f.join()));
            ApiServer.json(ctx, 200, body);
        });
    }
}
