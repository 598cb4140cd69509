package io.taskstate.client;

import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskSort;
import io.taskstate.protocol.TaskStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Filters and order for {@link TaskStateClient#queryTasks(TaskQuery)}. All set filters must match.
 * Text filters are case-insensitive and literal. Results come newest first unless {@link #sort} says
 * otherwise. Time ranges are half-open: {@code *After} includes the instant, {@code *Before} excludes it.
 * Immutable: each method returns a new query.
 */
public final class TaskQuery {
    private TaskStatus status;
    private Priority priority;
    private String assignee;
    private Long parentTaskId;
    private Boolean root;
    private String titleContains;
    private String descriptionContains;
    private Map<String, String> metadata = Map.of();
    private Instant createdAfter;
    private Instant createdBefore;
    private Instant updatedAfter;
    private Instant updatedBefore;
    private Instant completedAfter;
    private Instant completedBefore;
    private TaskSort sort;
    private Integer pageSize;

    private TaskQuery() {
    }

    public static TaskQuery all() {
        return new TaskQuery();
    }

    private TaskQuery with(Consumer<TaskQuery> change) {
        TaskQuery q = new TaskQuery();
        q.status = status;
        q.priority = priority;
        q.assignee = assignee;
        q.parentTaskId = parentTaskId;
        q.root = root;
        q.titleContains = titleContains;
        q.descriptionContains = descriptionContains;
        q.metadata = metadata;
        q.createdAfter = createdAfter;
        q.createdBefore = createdBefore;
        q.updatedAfter = updatedAfter;
        q.updatedBefore = updatedBefore;
        q.completedAfter = completedAfter;
        q.completedBefore = completedBefore;
        q.sort = sort;
        q.pageSize = pageSize;
        change.accept(q);
        return q;
    }

    public TaskQuery status(TaskStatus v) {
        return with(q -> q.status = v);
    }

    public TaskQuery priority(Priority v) {
        return with(q -> q.priority = v);
    }

    public TaskQuery assignee(String v) {
        return with(q -> q.assignee = v);
    }

    public TaskQuery parent(long v) {
        return with(q -> q.parentTaskId = v);
    }

    /** Only tasks without a parent. */
    public TaskQuery rootsOnly() {
        return with(q -> q.root = true);
    }

    public TaskQuery titleContains(String v) {
        return with(q -> q.titleContains = v);
    }

    public TaskQuery descriptionContains(String v) {
        return with(q -> q.descriptionContains = v);
    }

    /**
     * Only tasks whose top-level metadata field {@code key} is {@code value}: a JSON scalar compared
     * by its text ({@code "3"} matches {@code 3} and {@code "3"}), an array when it contains it.
     */
    public TaskQuery metadata(String key, Object value) {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.put(key, String.valueOf(value));
        Map<String, String> frozen = Collections.unmodifiableMap(m);
        return with(q -> q.metadata = frozen);
    }

    public TaskQuery createdAfter(Instant v) {
        return with(q -> q.createdAfter = v);
    }

    public TaskQuery createdBefore(Instant v) {
        return with(q -> q.createdBefore = v);
    }

    public TaskQuery updatedAfter(Instant v) {
        return with(q -> q.updatedAfter = v);
    }

    /** Only tasks last changed before {@code v}: with {@code status(IN_PROGRESS)}, the stuck-task search. */
    public TaskQuery updatedBefore(Instant v) {
        return with(q -> q.updatedBefore = v);
    }

    public TaskQuery completedAfter(Instant v) {
        return with(q -> q.completedAfter = v);
    }

    public TaskQuery completedBefore(Instant v) {
        return with(q -> q.completedBefore = v);
    }

    /** The order of results (default {@link TaskSort#NEWEST_FIRST}). */
    public TaskQuery sort(TaskSort v) {
        return with(q -> q.sort = v);
    }

    /** Tasks fetched per request while iterating (1 to 1000; the server's default is 100). */
    public TaskQuery pageSize(int v) {
        return with(q -> q.pageSize = v);
    }

    public TaskStatus status() {
        return status;
    }

    public Priority priority() {
        return priority;
    }

    public String assignee() {
        return assignee;
    }

    public Long parentTaskId() {
        return parentTaskId;
    }

    public Boolean root() {
        return root;
    }

    public String titleContains() {
        return titleContains;
    }

    public String descriptionContains() {
        return descriptionContains;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Instant createdAfter() {
        return createdAfter;
    }

    public Instant createdBefore() {
        return createdBefore;
    }

    public Instant updatedAfter() {
        return updatedAfter;
    }

    public Instant updatedBefore() {
        return updatedBefore;
    }

    public Instant completedAfter() {
        return completedAfter;
    }

    public Instant completedBefore() {
        return completedBefore;
    }

    public TaskSort sort() {
        return sort;
    }

    public Integer pageSize() {
        return pageSize;
    }

    /** The query string of {@code GET /api/v1/tasks}, starting a page at {@code cursor} (may be null). */
    String toQueryString(String cursor) {
        List<String> params = filterParams();
        add(params, "limit", pageSize);
        add(params, "cursor", cursor);
        return String.join("&", params);
    }

    /** The filter and order parameters, as {@code GET /api/v1/tasks} and {@code /tasks/export} name them. */
    List<String> filterParams() {
        List<String> params = new ArrayList<>();
        add(params, "status", status == null ? null : status.wire());
        add(params, "priority", priority == null ? null : priority.wire());
        add(params, "assignee", assignee);
        add(params, "parent_task_id", parentTaskId);
        add(params, "root", root);
        add(params, "title_contains", titleContains);
        add(params, "description_contains", descriptionContains);
        metadata.forEach((k, v) -> add(params, "metadata." + k, v));
        add(params, "created_after", createdAfter);
        add(params, "created_before", createdBefore);
        add(params, "updated_after", updatedAfter);
        add(params, "updated_before", updatedBefore);
        add(params, "completed_after", completedAfter);
        add(params, "completed_before", completedBefore);
        if (sort != null) {
            add(params, "sort", sort.field().wire());
            add(params, "order", sort.ascending() ? "asc" : "desc");
        }
        return params;
    }

    private static void add(List<String> params, String name, Object value) {
        if (value != null) {
            params.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
        }
    }
}
