package io.taskstate.client;

/**
 * Base of every failure the SDK reports. {@link #commandId()} names the command when a write
 * failed, so a caller can retry it with the same id (applied at most once).
 */
public class TaskStateException extends RuntimeException {
    private final String commandId;

    public TaskStateException(String message, String commandId, Throwable cause) {
        super(message, cause);
        this.commandId = commandId;
    }

    /** The id of the write that failed, or {@code null} for a query. */
    public String commandId() {
        return commandId;
    }

    /** The entity addressed does not exist. */
    public static final class NotFound extends TaskStateException {
        public NotFound(String message, String commandId) {
            super(message, commandId, null);
        }
    }

    /** The request itself is wrong; fix it before retrying. */
    public static final class Invalid extends TaskStateException {
        public Invalid(String message, String commandId) {
            super(message, commandId, null);
        }
    }

    /** The current state refuses the request (an {@code expect} that did not hold). */
    public static final class Conflict extends TaskStateException {
        public Conflict(String message, String commandId) {
            super(message, commandId, null);
        }
    }

    /** No reply came in time. The command may still be applied: retry with {@link #commandId()}. */
    public static final class Timeout extends TaskStateException {
        public Timeout(String message, String commandId, Throwable cause) {
            super(message, commandId, cause);
        }
    }

    /** The service cannot answer right now (stores rebalancing or restoring); retry shortly. */
    public static final class Unavailable extends TaskStateException {
        public Unavailable(String message, Throwable cause) {
            super(message, null, cause);
        }
    }
}
