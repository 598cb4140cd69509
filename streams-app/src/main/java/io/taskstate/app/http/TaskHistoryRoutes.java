package io.taskstate.app.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.taskstate.app.query.TaskQueries;
import io.taskstate.client.TaskHistoryEntry;
import io.taskstate.client.internal.HttpApi;
import io.taskstate.protocol.Json;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.streams.state.HostInfo;

/**
 * {@code GET /api/v1/tasks/{id}/history?limit=&cursor=}: a task's applied changes, oldest first,
 * a page at a time, read where the task lives (forwarded to the owning instance, as a task lookup is).
 * The cursor is the number of the last entry of the previous page.
 */
final class TaskHistoryRoutes {
    private static final Set<String> PARAMS = Set.of("limit", "cursor");

    private final Supplier<TaskQueries> queries;
    private final Function<HostInfo, HttpApi> peers;

    TaskHistoryRoutes(Supplier<TaskQueries> queries, Function<HostInfo, HttpApi> peers) {
        this.queries = queries;
        this.peers = peers;
    }

    void history(Context ctx) {
        long id = ApiServer.taskId(ctx);
        int limit = limit(ctx);
        long after = cursor(ctx);
        TaskQueries q = queries.get();
        HostInfo owner = q.ownerOf(id);
        if (q.isSelf(owner)) {
            ApiServer.json(ctx, 200, page(q, id, after, limit));
        } else {
            ApiServer.respond(ctx, peers.apply(owner).get("internal/v1/tasks/" + id + "/history?limit=" + limit
                    + (after > 0 ? "&cursor=" + after : "")), body -> ApiServer.json(ctx, 200, body));
        }
    }

    /** The same page, from this instance's store (asked by another instance). */
    void local(Context ctx) {
        long id = ApiServer.taskId(ctx);
        ApiServer.json(ctx, 200, page(queries.get(), id, cursor(ctx), limit(ctx)));
    }

    private static ObjectNode page(TaskQueries q, long id, long after, int limit) {
        List<TaskHistoryEntry> entries = q.localHistory(id, after, limit + 1)
                .orElseThrow(() -> new ApiException(404, "Task " + id + " not found"));
        ObjectNode page = Json.object();
        page.put("task_id", id);
        ArrayNode list = page.putArray("entries");
        entries.stream().limit(limit).forEach(e -> list.add(Json.MAPPER.valueToTree(e)));
        page.put("next_cursor", entries.size() > limit ? Long.toString(entries.get(limit - 1).seq()) : null);
        return page;
    }

    private static int limit(Context ctx) {
        for (String name : ctx.queryParamMap().keySet()) {
            if (!PARAMS.contains(name)) {
                throw ApiException.badRequest("Unknown query parameter: " + ApiServer.shorten(name) + ". Known: cursor, limit");
            }
        }
        return ApiServer.limit(ctx);
    }

    private static long cursor(Context ctx) {
        String raw = ctx.queryParam("cursor");
        if (raw == null) {
            return 0;
        }
        if (!raw.isEmpty() && raw.length() <= 18 && raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Long.parseLong(raw);
        }
        throw ApiException.badRequest("cursor must be the next_cursor of a previous history page, got '"
                + ApiServer.shorten(raw) + "'");
    }
}
