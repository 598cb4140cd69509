package io.taskstate.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a command asks for. The wire form is the lower-case name ({@code create_task}). */
public enum CommandType {
    CREATE_TASK, UPDATE_TASK, DELETE_TASK;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<CommandType> parse(String wire) {
        return Arrays.stream(values()).filter(t -> t.wire().equals(wire)).findFirst();
    }
}
