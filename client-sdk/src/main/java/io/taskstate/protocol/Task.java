package io.taskstate.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A task as the app stores, publishes and returns it. Immutable: a change is a new snapshot.
 *
 * <p>{@code metadata} is always an object ({@code {}} when none was given) and {@code subtask_ids}
 * always a list, so callers never need a null check. {@code status_reason} says why the app itself
 * changed the status (a holder stopped heartbeating); any status change by a caller clears it.
 */
public record Task(
        long id,
        String title,
        String description,
        TaskStatus status,
        Priority priority,
        String assignee,
        Long parentTaskId,
        List<Long> subtaskIds,
        ObjectNode metadata,
        Instant createdAt,
        Instant updatedAt,
        Instant completedAt,
        String statusReason) {

    public Task {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(createdAt, "created_at");
        Objects.requireNonNull(updatedAt, "updated_at");
        subtaskIds = subtaskIds == null ? List.of() : List.copyOf(subtaskIds);
        metadata = metadata == null ? Json.object() : metadata;
    }

    /** The partition this task lives on, out of {@code partitions}. */
    public int partition(int partitions) {
        return Partitioning.partitionOfTask(id, partitions);
    }
}
