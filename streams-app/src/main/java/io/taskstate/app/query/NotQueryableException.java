package io.taskstate.app.query;

/** The stores cannot answer right now (starting, rebalancing, restoring): retry after a moment. */
public final class NotQueryableException extends RuntimeException {
    public NotQueryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
