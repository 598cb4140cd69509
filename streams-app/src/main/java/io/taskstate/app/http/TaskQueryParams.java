package io.taskstate.app.http;

import io.javalin.http.Context;
import io.taskstate.app.query.Cursor;
import io.taskstate.app.query.TaskFilter;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskSort;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The filter, order and paging parameters of {@code GET /api/v1/tasks} (and of the export, which
 * takes the same filters): {@code metadata.<key>=<value>}, the six time bounds, {@code sort} and
 * {@code order}, beside the index filters. Anything unknown or malformed is a 400 saying what to send.
 */
final class TaskQueryParams {
    static final String METADATA_PREFIX = "metadata.";
    static final List<String> TIME_PARAMS = List.of("created_after", "created_before", "updated_after", "updated_before",
            "completed_after", "completed_before");
    static final Set<String> FILTER_PARAMS = Set.copyOf(Stream.concat(Stream.of("status", "priority", "assignee",
            "parent_task_id", "root", "title_contains", "description_contains", "sort", "order"), TIME_PARAMS.stream()).toList());

    private TaskQueryParams() {
    }

    /** The filter of {@code ctx}'s query; parameters beside the filters must be among {@code others}. */
    static TaskFilter filter(Context ctx, Set<String> others) {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> param : ctx.queryParamMap().entrySet()) {
            String name = param.getKey();
            if (name.startsWith(METADATA_PREFIX) && name.length() > METADATA_PREFIX.length()) {
                metadata.put(name.substring(METADATA_PREFIX.length()), param.getValue().get(0));
            } else if (!FILTER_PARAMS.contains(name) && !others.contains(name)) {
                throw ApiException.badRequest("Unknown query parameter: " + ApiServer.shorten(name) + ". Known: "
                        + String.join(", ", Stream.concat(FILTER_PARAMS.stream(), others.stream()).sorted().toList())
                        + ", metadata.<key>");
            }
        }
        String status = ctx.queryParam("status");
        String priority = ctx.queryParam("priority");
        String parent = ctx.queryParam("parent_task_id");
        String root = ctx.queryParam("root");
        Long parentId = null;
        if (parent != null) {
            try {
                parentId = Long.parseLong(parent);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("parent_task_id must be a positive integer, got '" + ApiServer.shorten(parent) + "'");
            }
        }
        if (root != null && !root.equals("true") && !root.equals("false")) {
            throw ApiException.badRequest("root must be true or false, got '" + ApiServer.shorten(root) + "'");
        }
        Instant[] times = new Instant[TIME_PARAMS.size()];
        for (int i = 0; i < times.length; i++) {
            String raw = ctx.queryParam(TIME_PARAMS.get(i));
            try {
                times[i] = raw == null ? null : TaskFilter.parseTime(TIME_PARAMS.get(i), raw);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage());
            }
        }
        return new TaskFilter(
                status == null ? null : TaskStatus.parse(status).orElseThrow(
                        () -> ApiException.badRequest("Invalid status. Must be one of: " + TaskStatus.VALID)),
                priority == null ? null : Priority.parse(priority).orElseThrow(
                        () -> ApiException.badRequest("Invalid priority. Must be one of: " + Priority.VALID)),
                ctx.queryParam("assignee"), parentId, "true".equals(root),
                ctx.queryParam("title_contains"), ctx.queryParam("description_contains"), metadata,
                times[0], times[1], times[2], times[3], times[4], times[5]);
    }

    static TaskSort sort(Context ctx) {
        try {
            return TaskSort.parse(ctx.queryParam("sort"), ctx.queryParam("order"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** The {@code cursor} parameter, which must continue a query in {@code sort} order; null when absent. */
    static Cursor cursor(Context ctx, TaskSort sort) {
        String raw = ctx.queryParam("cursor");
        try {
            return raw == null ? null : Cursor.decode(raw).requireSort(sort);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }
}
