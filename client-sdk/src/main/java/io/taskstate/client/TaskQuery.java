package io.taskstate.client;

import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Filters for {@link TaskStateClient#queryTasks(TaskQuery)}. All set filters must match. Text
 * filters are case-insensitive and literal. Results come newest first.
 *
 * @param pageSize tasks fetched per request while iterating (1 to 1000; the server's default is 100)
 */
public record TaskQuery(TaskStatus status, Priority priority, String assignee, Long parentTaskId, Boolean root,
                        String titleContains, String descriptionContains, Integer pageSize) {

    public static TaskQuery all() {
        return new TaskQuery(null, null, null, null, null, null, null, null);
    }

    public TaskQuery status(TaskStatus v) {
        return new TaskQuery(v, priority, assignee, parentTaskId, root, titleContains, descriptionContains, pageSize);
    }

    public TaskQuery priority(Priority v) {
        return new TaskQuery(status, v, assignee, parentTaskId, root, titleContains, descriptionContains, pageSize);
    }

    public TaskQuery assignee(String v) {
        return new TaskQuery(status, priority, v, parentTaskId, root, titleContains, descriptionContains, pageSize);
    }

    public TaskQuery parent(long v) {
        return new TaskQuery(status, priority, assignee, v, root, titleContains, descriptionContains, pageSize);
    }

    /** Only tasks without a parent. */
    public TaskQuery rootsOnly() {
        return new TaskQuery(status, priority, assignee, parentTaskId, true, titleContains, descriptionContains, pageSize);
    }

    public TaskQuery titleContains(String v) {
        return new TaskQuery(status, priority, assignee, parentTaskId, root, v, descriptionContains, pageSize);
    }

    public TaskQuery descriptionContains(String v) {
        return new TaskQuery(status, priority, assignee, parentTaskId, root, titleContains, v, pageSize);
    }

    public TaskQuery pageSize(int v) {
        return new TaskQuery(status, priority, assignee, parentTaskId, root, titleContains, descriptionContains, v);
    }

    /** The query string of {@code GET /api/v1/tasks}, starting a page at {@code cursor} (may be null). */
    String toQueryString(String cursor) {
        List<String> params = new ArrayList<>();
        add(params, "status", status == null ? null : status.wire());
        add(params, "priority", priority == null ? null : priority.wire());
        add(params, "assignee", assignee);
        add(params, "parent_task_id", parentTaskId);
        add(params, "root", root);
        add(params, "title_contains", titleContains);
        add(params, "description_contains", descriptionContains);
        add(params, "limit", pageSize);
        add(params, "cursor", cursor);
        return String.join("&", params);
    }

    private static void add(List<String> params, String name, Object value) {
        if (value != null) {
            params.add(name + "=" + URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
        }
    }
}
