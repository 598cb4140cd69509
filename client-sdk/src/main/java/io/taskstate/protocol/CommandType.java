package io.taskstate.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a command asks for. The wire form is the lower-case name ({@code create_task}). The last
 * ones are the app's own: it sends them to itself to carry a change from one partition to another.
 */
public enum CommandType {
    CREATE_TASK, UPDATE_TASK, DELETE_TASK,
    /** Take a pending task: in progress, held by the assignee, optionally under a lease. */
    CLAIM_TASK,
    /** The holder (or anyone, forced) hands a task back to pending. */
    RELEASE_TASK,
    /** The holder (or anyone, forced) marks a task completed. */
    COMPLETE_TASK,
    /** The holder extends its lease on a task. */
    RENEW_LEASE,
    /** Partial update of an instance; sent to the partition of its {@code current_task_id} first, if any. */
    SET_INSTANCE_STATE,
    /** Internal: a validated {@link #SET_INSTANCE_STATE}, applied on the instance's partition. */
    APPLY_INSTANCE_STATE,
    /** Internal, to every partition: deleted task ids that no instance may point at any more. */
    CLEAR_CURRENT_TASK,
    /** Internal, to a partition itself: check which of its instances stopped heartbeating. */
    EXPIRE_INSTANCES,
    /** Internal, to every partition: an instance expired; hand its in-progress tasks back. */
    RELEASE_EXPIRED,
    /** Internal, to an instance's partition: the task it now holds, or that it no longer holds one. */
    SET_CURRENT_TASK,
    /** Internal, to a partition itself: hand back tasks whose lease ran out. */
    EXPIRE_LEASES,
    /** Internal, to a task's partition: its holder heartbeated, so its lease (if any) is extended. */
    RENEW_FROM_HEARTBEAT,
    /** Internal, to a dependency's partition: a task on another partition depends on it; answered with its state. */
    WATCH_DEPENDENCY,
    /** Internal, to a dependency's partition: a task on another partition no longer depends on it. */
    UNWATCH_DEPENDENCY,
    /** Internal, to a dependent's partition: a dependency is completed, open again, missing or deleted. */
    DEPENDENCY_STATUS;

    /** Whether only the app itself may send this command. */
    public boolean internal() {
        return ordinal() >= APPLY_INSTANCE_STATE.ordinal();
    }

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<CommandType> parse(String wire) {
        return Arrays.stream(values()).filter(t -> t.wire().equals(wire)).findFirst();
    }
}
