package io.taskstate.app.query;

import io.taskstate.app.tasks.TaskIndex;
import io.taskstate.app.tasks.TaskIndex.Family;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.util.Locale;
import java.util.Objects;

/**
 * What a task query matches. Every set filter must hold. Text filters are case-insensitive and
 * literal (no wildcards). {@link #index()} picks the most selective index; only text filters are
 * checked by scanning.
 */
public record TaskFilter(TaskStatus status, Priority priority, String assignee, Long parentTaskId, boolean rootOnly,
                         String titleContains, String descriptionContains) {

    public static final TaskFilter ALL = new TaskFilter(null, null, null, null, false, null, null);

    public TaskFilter {
        titleContains = lower(titleContains);
        descriptionContains = lower(descriptionContains);
    }

    /** The index prefix to scan. */
    public byte[] index() {
        if (parentTaskId != null) {
            return TaskIndex.prefix(Family.PARENT, parentTaskId.toString());
        }
        if (rootOnly) {
            return TaskIndex.prefix(Family.PARENT, "");
        }
        if (assignee != null) {
            return TaskIndex.prefix(Family.ASSIGNEE, assignee);
        }
        if (status != null && priority != null) {
            return TaskIndex.prefix(Family.STATUS_PRIORITY, status.wire(), priority.wire());
        }
        if (status != null) {
            return TaskIndex.prefix(Family.STATUS, status.wire());
        }
        if (priority != null) {
            return TaskIndex.prefix(Family.PRIORITY, priority.wire());
        }
        return TaskIndex.prefix(Family.ALL);
    }

    public boolean matches(Task t) {
        return (status == null || t.status() == status)
                && (priority == null || t.priority() == priority)
                && (assignee == null || assignee.equals(t.assignee()))
                && (parentTaskId == null || parentTaskId.equals(t.parentTaskId()))
                && (!rootOnly || t.parentTaskId() == null)
                && contains(t.title(), titleContains)
                && contains(t.description(), descriptionContains);
    }

    private static boolean contains(String text, String lowerNeedle) {
        return lowerNeedle == null || (text != null && text.toLowerCase(Locale.ROOT).contains(lowerNeedle));
    }

    private static String lower(String s) {
        return s == null ? null : Objects.requireNonNull(s).toLowerCase(Locale.ROOT);
    }
}
