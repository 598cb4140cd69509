package io.taskstate.app.tasks;

/** Names of the processor's state stores, shared with the query layer. */
public final class TaskStores {
    /** Tasks by id. */
    public static final String TASKS = "tasks";
    /** Secondary indexes, see {@link TaskIndex}. */
    public static final String TASK_INDEX = "task-index";
    /** The next id sequence number of each partition, under {@link #SEQUENCE_NEXT}. */
    public static final String SEQUENCE = "task-sequence";
    /** The one key of {@link #SEQUENCE}. */
    public static final String SEQUENCE_NEXT = "next";
    /** Leased tasks by when their lease runs out, see {@link TaskIndex#leaseKey}. */
    public static final String LEASES = "task-leases";
    /** Reverse dependency edges: dependency id then dependent id, see {@link TaskIndex#dependentKey}. */
    public static final String DEPENDENTS = "task-dependents";
    /** The newest changes of each task, see {@link TaskHistory}. */
    public static final String HISTORY = "task-history";
    /** Task counts by status, priority and assignee, see {@link TaskStats}. */
    public static final String STATS = "task-stats";
    /** Instances by id. */
    public static final String INSTANCES = "instances";
    /** The first reply to each command id, for idempotent retries. */
    public static final String DEDUP = "command-dedup";
    /** Command ids by the time they were seen, to expire {@link #DEDUP}. */
    public static final String DEDUP_EXPIRY = "command-dedup-expiry";

    private TaskStores() {
    }
}
