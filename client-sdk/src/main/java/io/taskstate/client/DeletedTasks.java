package io.taskstate.client;

import io.taskstate.protocol.Task;
import java.util.List;

/** What a delete removed: the task asked for, and the ids of it and every descendant. */
public record DeletedTasks(boolean success, Task deletedTask, List<Long> deletedIds) {
}
