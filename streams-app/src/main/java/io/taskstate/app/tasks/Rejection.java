package io.taskstate.app.tasks;

import io.taskstate.protocol.Outcome;

/** A command the current state refuses; it becomes a failed reply and changes nothing. */
final class Rejection extends RuntimeException {
    final Outcome outcome;

    private Rejection(Outcome outcome, String message) {
        super(message, null, false, false);
        this.outcome = outcome;
    }

    static Rejection invalid(String message) {
        return new Rejection(Outcome.INVALID, message);
    }

    static Rejection notFound(String message) {
        return new Rejection(Outcome.NOT_FOUND, message);
    }

    static Rejection conflict(String message) {
        return new Rejection(Outcome.CONFLICT, message);
    }
}
