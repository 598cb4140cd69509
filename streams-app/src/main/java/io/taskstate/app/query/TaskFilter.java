package io.taskstate.app.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.tasks.TaskIndex;
import io.taskstate.app.tasks.TaskIndex.Family;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a task query matches. Every set filter must hold. Text filters are case-insensitive and
 * literal (no wildcards). {@code metadata} maps top-level metadata keys to the text of the wanted
 * value: a scalar matches by its text, an array when an element does. Time ranges are half-open:
 * {@code *After} includes the instant, {@code *Before} excludes it; a task without
 * {@code completed_at} never passes a completed range. {@link #index()} picks the most selective
 * index; the rest is checked by scanning.
 */
public record TaskFilter(TaskStatus status, Priority priority, String assignee, Long parentTaskId, boolean rootOnly,
                         String titleContains, String descriptionContains, Map<String, String> metadata,
                         Instant createdAfter, Instant createdBefore, Instant updatedAfter, Instant updatedBefore,
                         Instant completedAfter, Instant completedBefore) {

    public static final TaskFilter ALL = new TaskFilter(null, null, null, null, false, null, null);

    public TaskFilter {
        titleContains = lower(titleContains);
        descriptionContains = lower(descriptionContains);
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** Without metadata or time filters. */
    public TaskFilter(TaskStatus status, Priority priority, String assignee, Long parentTaskId, boolean rootOnly,
                      String titleContains, String descriptionContains) {
        this(status, priority, assignee, parentTaskId, rootOnly, titleContains, descriptionContains, Map.of(),
                null, null, null, null, null, null);
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
                && contains(t.description(), descriptionContains)
                && metadataMatches(t)
                && within(t.createdAt(), createdAfter, createdBefore)
                && within(t.updatedAt(), updatedAfter, updatedBefore)
                && within(t.completedAt(), completedAfter, completedBefore);
    }

    /** Whether a task created at {@code createdAt} is before the created range (older than {@code createdAfter}). */
    boolean beforeCreatedRange(Instant createdAt) {
        return createdAfter != null && createdAt.isBefore(createdAfter);
    }

    /** Whether a task created at {@code createdAt} is past the created range (not older than {@code createdBefore}). */
    boolean afterCreatedRange(Instant createdAt) {
        return createdBefore != null && !createdAt.isBefore(createdBefore);
    }

    private boolean metadataMatches(Task t) {
        for (Map.Entry<String, String> wanted : metadata.entrySet()) {
            JsonNode value = t.metadata().get(wanted.getKey());
            if (value == null || !sameText(value, wanted.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameText(JsonNode value, String wanted) {
        if (value.isArray()) {
            for (JsonNode element : value) {
                if (element.isValueNode() && element.asText().equals(wanted)) {
                    return true;
                }
            }
            return false;
        }
        return value.isValueNode() && value.asText().equals(wanted);
    }

    private static boolean within(Instant t, Instant from, Instant until) {
        if (from == null && until == null) {
            return true;
        }
        return t != null && (from == null || !t.isBefore(from)) && (until == null || t.isBefore(until));
    }

    /**
     * A time filter's value: an ISO-8601 instant ({@code 2026-01-21T10:30:00Z}), with an offset
     * ({@code +02:00}), or naive, read as UTC ({@code 2026-01-21T10:30:00}, as the MCP tools print times).
     *
     * @throws IllegalArgumentException naming {@code name} and the accepted forms
     */
    public static Instant parseTime(String name, String text) {
        try {
            return java.time.OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException notOffset) {
            try {
                return java.time.LocalDateTime.parse(text).toInstant(java.time.ZoneOffset.UTC);
            } catch (java.time.format.DateTimeParseException notNaive) {
                throw new IllegalArgumentException(name + " must be an ISO-8601 time such as 2026-01-21T10:30:00Z, got '"
                        + (text.length() <= 60 ? text : text.substring(0, 60) + "...") + "'");
            }
        }
    }

    private static boolean contains(String text, String lowerNeedle) {
        return lowerNeedle == null || (text != null && text.toLowerCase(Locale.ROOT).contains(lowerNeedle));
    }

    private static String lower(String s) {
        return s == null ? null : Objects.requireNonNull(s).toLowerCase(Locale.ROOT);
    }
}
