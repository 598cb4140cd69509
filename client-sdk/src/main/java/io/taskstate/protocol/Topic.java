package io.taskstate.protocol;

import java.time.Duration;
import java.util.Map;

/**
 * The topics of DESIGN.md, each defined once. Names share one configurable prefix (default
 * {@code taskstate.}); {@link #name(String)} joins them.
 */
public enum Topic {
    /** Writes: command envelopes, routed by task id. */
    TASK_COMMANDS("task-commands", "delete", Duration.ofDays(7)),
    /**
     * The commands the app sends itself (forwards to other partitions, a holder's current task,
     * expiry), written only inside its transactions. Apart from {@link #TASK_COMMANDS} so that an
     * open transaction never holds back the clients' commands: a read_committed consumer stops at
     * the first record of a transaction still open.
     */
    INTERNAL_COMMANDS("internal-commands", "delete", Duration.ofDays(7)),
    /** The latest heartbeat of each instance, keyed by instance id. */
    HEARTBEATS("heartbeats", "compact", null),
    /** The latest snapshot of each task, keyed by task id; a tombstone on delete. */
    TASKS("tasks", "compact", null),
    /** The latest snapshot of each instance, keyed by instance id. */
    INSTANCES("instances", "compact", null),
    /** One reply per command, keyed by the client id that sent it. */
    REPLIES("replies", "delete", Duration.ofHours(1)),
    /** Records the app could not read, with the reason in headers. */
    DEAD_LETTER("dead-letter", "delete", Duration.ofDays(7)),
    /**
     * One event per change of a task or instance, written in the same transaction as the change and
     * keyed by task or instance id (so in order per task): the source of the live updates stream.
     * Its retention is configurable; this is the default.
     */
    EVENTS("events", "delete", Duration.ofHours(24));

    public static final String DEFAULT_PREFIX = "taskstate.";

    private final String suffix;
    private final String cleanupPolicy;
    private final Duration retention;

    Topic(String suffix, String cleanupPolicy, Duration retention) {
        this.suffix = suffix;
        this.cleanupPolicy = cleanupPolicy;
        this.retention = retention;
    }

    public String name(String prefix) {
        return prefix + suffix;
    }

    /** Topic-level configs to create it with. */
    public Map<String, String> configs() {
        return configs(retention);
    }

    /** Topic-level configs to create it with, keeping records for {@code retention} ({@code null}: forever). */
    public Map<String, String> configs(Duration retention) {
        return retention == null
                ? Map.of("cleanup.policy", cleanupPolicy)
                : Map.of("cleanup.policy", cleanupPolicy, "retention.ms", Long.toString(retention.toMillis()));
    }
}
