package io.taskstate.client;

import java.util.List;

/**
 * One page of a task's history, oldest entry first. {@code nextCursor} is null on the last page;
 * pass it back to get the next.
 */
public record TaskHistoryPage(long taskId, List<TaskHistoryEntry> entries, String nextCursor) {
    public TaskHistoryPage {
        entries = entries == null ? List.of() : List.copyOf(entries);
    }
}
