package io.taskstate.client;

import io.taskstate.protocol.InstanceStatus;
import io.taskstate.protocol.TaskStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which changes {@link TaskStateClient#subscribe} delivers. All set parts must match; a deleted
 * task is judged by its last snapshot.
 *
 * @param type     {@code task} or {@code instance}; {@code null}: both
 * @param statuses the task or instance must have one of these statuses (wire names); empty: any
 * @param assignee a task's assignee, or an instance's own id
 * @param parentTaskId only subtasks of this task (task events only)
 */
public record EventFilter(String type, List<String> statuses, String assignee, Long parentTaskId) {

    public EventFilter {
        statuses = statuses == null ? List.of() : List.copyOf(statuses);
    }

    /** Every change of every task and instance. */
    public static EventFilter all() {
        return new EventFilter(null, List.of(), null, null);
    }

    /** Changes of tasks only. */
    public static EventFilter tasks() {
        return all().type("task");
    }

    /** Changes of instances only. */
    public static EventFilter instances() {
        return all().type("instance");
    }

    private EventFilter type(String v) {
        return new EventFilter(v, statuses, assignee, parentTaskId);
    }

    /** Tasks in any of these statuses. */
    public EventFilter status(TaskStatus... v) {
        return new EventFilter(type, Stream.of(v).map(TaskStatus::wire).toList(), assignee, parentTaskId);
    }

    /** Instances in any of these statuses. */
    public EventFilter status(InstanceStatus... v) {
        return new EventFilter(type, Stream.of(v).map(InstanceStatus::wire).toList(), assignee, parentTaskId);
    }

    public EventFilter assignee(String v) {
        return new EventFilter(type, statuses, v, parentTaskId);
    }

    public EventFilter parent(long v) {
        return new EventFilter(type, statuses, assignee, v);
    }

    /** The query string of {@code GET /api/v1/events}. */
    String toQueryString() {
        List<String> params = new ArrayList<>();
        add(params, "type", type);
        add(params, "status", statuses.isEmpty() ? null : String.join(",", statuses));
        add(params, "assignee", assignee);
        add(params, "parent_task_id", parentTaskId);
        return String.join("&", params);
    }

    private static void add(List<String> params, String name, Object value) {
        if (value != null) {
            params.add(name + "=" + URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
        }
    }
}
