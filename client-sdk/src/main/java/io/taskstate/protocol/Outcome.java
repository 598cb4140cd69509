package io.taskstate.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a command ended. Everything but {@link #OK} changed nothing. */
public enum Outcome {
    /** Applied; the reply carries the result. */
    OK,
    /** The addressed entity does not exist. */
    NOT_FOUND,
    /** The command itself is wrong: fix it before retrying. */
    INVALID,
    /** The command is valid but the current state refuses it (an {@code expect} that did not hold). */
    CONFLICT;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
