package io.taskstate.client;

import io.taskstate.protocol.Task;
import java.util.Map;

/**
 * What {@link TaskStateClient#stats()} returns: task counts by status, priority and assignee (wire
 * names as keys, every status and priority present), and the pending task created first, or null.
 */
public record TaskStats(long total, Map<String, Long> byStatus, Map<String, Long> byPriority, Map<String, Long> byAssignee,
                        Task oldestPending) {
    public TaskStats {
        byStatus = Map.copyOf(byStatus);
        byPriority = Map.copyOf(byPriority);
        byAssignee = Map.copyOf(byAssignee);
    }
}
