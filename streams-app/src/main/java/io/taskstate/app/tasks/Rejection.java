package io.taskstate.app.tasks;

import io.taskstate.protocol.Outcome;

/** A command the current state refuses; it becomes a failed reply and changes nothing. */
final class Rejection extends RuntimeException {
    final Outcome outcome;

    /** Longest message a reply carries: a reply and its dedup entry must stay far below Kafka's record size. */
    static final int MAX_MESSAGE_CHARS = 1000;
    private static final int MAX_SHOWN_CHARS = 100;

    private Rejection(Outcome outcome, String message) {
        super(cut(message, MAX_MESSAGE_CHARS), null, false, false);
        this.outcome = outcome;
    }

    /** A value from the input as a message shows it: cut to 100 characters, saying how long it was. */
    static String shown(Object value) {
        return cut(String.valueOf(value), MAX_SHOWN_CHARS);
    }

    static String cut(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        String note = "... (" + text.length() + " characters)";
        return text.substring(0, Math.max(0, max - note.length())) + note;
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
