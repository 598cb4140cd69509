package io.taskstate.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
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
 *
 * <p>A claim may carry a lease: {@code lease_expires_at} is when the task goes back to pending unless
 * its assignee renews it (explicitly, or by heartbeating while it is the assignee's current task);
 * {@code lease_millis} is the lease's length, applied again at each renewal. Leaving
 * {@code in_progress} ends the lease.
 *
 * <p>{@code depends_on} lists the tasks this one waits for ({@code []} when none);
 * {@code open_dependencies} those of them not completed yet, as this task's partition last heard;
 * {@code ready} is true when that list is empty. Only a pending, ready task can be claimed.
 */
@JsonIgnoreProperties(value = "ready", allowGetters = true)
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
        String statusReason,
        Instant leaseExpiresAt,
        Long leaseMillis,
        List<Long> dependsOn,
        List<Long> openDependencies) {

    public Task {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(createdAt, "created_at");
        Objects.requireNonNull(updatedAt, "updated_at");
        subtaskIds = subtaskIds == null ? List.of() : List.copyOf(subtaskIds);
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
        openDependencies = openDependencies == null ? List.of() : List.copyOf(openDependencies);
        metadata = metadata == null ? Json.object() : metadata;
    }

    /** A task without dependencies. */
    public Task(long id, String title, String description, TaskStatus status, Priority priority, String assignee,
                Long parentTaskId, List<Long> subtaskIds, ObjectNode metadata, Instant createdAt, Instant updatedAt,
                Instant completedAt, String statusReason, Instant leaseExpiresAt, Long leaseMillis) {
        this(id, title, description, status, priority, assignee, parentTaskId, subtaskIds, metadata, createdAt,
                updatedAt, completedAt, statusReason, leaseExpiresAt, leaseMillis, null, null);
    }

    /** A task without a lease or dependencies. */
    public Task(long id, String title, String description, TaskStatus status, Priority priority, String assignee,
                Long parentTaskId, List<Long> subtaskIds, ObjectNode metadata, Instant createdAt, Instant updatedAt,
                Instant completedAt, String statusReason) {
        this(id, title, description, status, priority, assignee, parentTaskId, subtaskIds, metadata, createdAt,
                updatedAt, completedAt, statusReason, null, null);
    }

    /** This task with another status, assignee and lease, changed at {@code now}; {@code completed_at} follows the status. */
    public Task moved(TaskStatus newStatus, String newAssignee, Instant now, String reason, Instant leaseUntil, Long leaseLength) {
        Instant completed = newStatus != TaskStatus.COMPLETED ? null : status == TaskStatus.COMPLETED ? completedAt : now;
        return new Task(id, title, description, newStatus, priority, newAssignee, parentTaskId, subtaskIds, metadata,
                createdAt, now, completed, reason, leaseUntil, leaseLength, dependsOn, openDependencies);
    }

    /** This task with other metadata, changed at {@code now}. */
    public Task withMetadata(ObjectNode newMetadata, Instant now) {
        return new Task(id, title, description, status, priority, assignee, parentTaskId, subtaskIds, newMetadata,
                createdAt, now, completedAt, statusReason, leaseExpiresAt, leaseMillis, dependsOn, openDependencies);
    }

    /** This task with other dependencies, of which {@code open} are not completed yet; nothing else changes. */
    public Task withDependencies(List<Long> newDependsOn, List<Long> open) {
        return new Task(id, title, description, status, priority, assignee, parentTaskId, subtaskIds, metadata,
                createdAt, updatedAt, completedAt, statusReason, leaseExpiresAt, leaseMillis, newDependsOn, open);
    }

    /** This task with the same dependencies as {@code other} (the version it replaces). */
    public Task withDependenciesOf(Task other) {
        return withDependencies(other.dependsOn, other.openDependencies);
    }

    /** This task with another {@code status_reason}; nothing else changes. */
    public Task withStatusReason(String reason) {
        return new Task(id, title, description, status, priority, assignee, parentTaskId, subtaskIds, metadata,
                createdAt, updatedAt, completedAt, reason, leaseExpiresAt, leaseMillis, dependsOn, openDependencies);
    }

    /** Whether every task in {@code depends_on} is completed (true when there are none). */
    @JsonProperty("ready")
    public boolean ready() {
        return openDependencies.isEmpty();
    }

    /** The partition this task lives on, out of {@code partitions}. */
    public int partition(int partitions) {
        return Partitioning.partitionOfTask(id, partitions);
    }
}
