package io.taskstate.client;

import io.taskstate.protocol.Task;
import java.util.List;

/**
 * One page of a query. {@code nextCursor} is null on the last page; pass it back to get the next.
 */
public record TaskPage(List<Task> tasks, String nextCursor) {
    public TaskPage {
        tasks = tasks == null ? List.of() : List.copyOf(tasks);
    }
}
