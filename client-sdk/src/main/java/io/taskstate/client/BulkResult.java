package io.taskstate.client;

import io.taskstate.protocol.Task;

/**
 * The outcome of one item of {@link TaskStateClient#createTasks} or {@link TaskStateClient#updateTasks}:
 * the task, or the failure that item alone met (the other items are unaffected).
 */
public record BulkResult(Task task, TaskStateException error) {
    public boolean ok() {
        return error == null;
    }
}
