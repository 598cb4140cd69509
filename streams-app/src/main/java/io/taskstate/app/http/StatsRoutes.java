package io.taskstate.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.taskstate.app.query.TaskQueries;
import io.taskstate.app.tasks.TaskStats;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.streams.state.HostInfo;

/**
 * {@code GET /api/v1/stats}: task counts by status, priority and assignee, and the oldest pending
 * task, summed over every instance's partitions from the per-partition {@link TaskStats} counts
 * (no task is read but the oldest pending one of each partition). 503 while any partition cannot be read.
 */
final class StatsRoutes {
    private final ApiServer api;

    StatsRoutes(ApiServer api) {
        this.api = api;
    }

    void register(RoutesConfig r) {
        r.get("/api/v1/stats", this::stats);
        r.get("/internal/v1/stats", this::localStats);
    }

    private void stats(Context ctx) {
        noParams(ctx);
        TaskQueries q = api.queries();
        List<CompletableFuture<TaskQueries.Slice<JsonNode>>> parts = new ArrayList<>();
        for (HostInfo host : q.instances()) {
            parts.add(q.isSelf(host)
                    ? CompletableFuture.completedFuture(local(q))
                    : api.peer(host).get("internal/v1/stats").thenApply(body -> ApiServer.slice(body, "stats", JsonNode.class)));
        }
        ApiServer.respond(ctx, CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)), ignored -> {
            Map<String, Long> counts = new TreeMap<>();
            Task oldest = null;
            for (JsonNode part : ApiServer.merge(q, parts)) {
                part.path("counts").fields().forEachRemaining(e -> counts.merge(e.getKey(), e.getValue().asLong(), Long::sum));
                JsonNode candidate = part.get("oldest_pending");
                if (candidate != null && !candidate.isNull()) {
                    Task t = Json.convert(candidate, Task.class);
                    if (oldest == null || TaskQueries.OLDEST_FIRST.compare(t, oldest) < 0) {
                        oldest = t;
                    }
                }
            }
            ApiServer.json(ctx, 200, body(counts, oldest));
        });
    }

    private static ObjectNode body(Map<String, Long> counts, Task oldest) {
        ObjectNode body = Json.object();
        body.put("total", counts.getOrDefault(TaskStats.TOTAL, 0L));
        ObjectNode byStatus = body.putObject("by_status");
        for (TaskStatus s : TaskStatus.values()) {
            byStatus.put(s.wire(), counts.getOrDefault(TaskStats.STATUS + s.wire(), 0L));
        }
        ObjectNode byPriority = body.putObject("by_priority");
        for (Priority p : Priority.values()) {
            byPriority.put(p.wire(), counts.getOrDefault(TaskStats.PRIORITY + p.wire(), 0L));
        }
        ObjectNode byAssignee = body.putObject("by_assignee");
        counts.forEach((key, n) -> {
            if (key.startsWith(TaskStats.ASSIGNEE)) {
                byAssignee.put(key.substring(TaskStats.ASSIGNEE.length()), n);
            }
        });
        body.set("oldest_pending", oldest == null ? Json.MAPPER.nullNode() : Json.MAPPER.valueToTree(oldest));
        return body;
    }

    /** This instance's partitions: one item with their summed counts and their oldest pending task. */
    private static TaskQueries.Slice<JsonNode> local(TaskQueries q) {
        TaskQueries.Slice<Map.Entry<String, Long>> counts = q.localStats();
        TaskQueries.Slice<Task> oldest = q.localOldestPending();
        ObjectNode part = Json.object();
        ObjectNode c = part.putObject("counts");
        counts.items().forEach(e -> c.put(e.getKey(), e.getValue()));
        part.set("oldest_pending", oldest.items().isEmpty() ? Json.MAPPER.nullNode() : Json.MAPPER.valueToTree(oldest.items().get(0)));
        java.util.Set<Integer> read = new java.util.TreeSet<>(counts.partitions());
        read.retainAll(oldest.partitions());
        return new TaskQueries.Slice<>(List.of(part), read);
    }

    private void localStats(Context ctx) {
        TaskQueries.Slice<JsonNode> slice = local(api.queries());
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("stats");
        slice.items().forEach(items::add);
        ArrayNode partitions = body.putArray("partitions");
        slice.partitions().forEach(partitions::add);
        ApiServer.json(ctx, 200, body);
    }

    private static void noParams(Context ctx) {
        if (!ctx.queryParamMap().isEmpty()) {
            throw ApiException.badRequest("GET /api/v1/stats takes no query parameters, got "
                    + ApiServer.shorten(String.join(", ", ctx.queryParamMap().keySet())));
        }
    }
}
