package io.taskstate.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** How urgent a task is. Declared from least to most urgent, so {@code ordinal()} ranks them. */
public enum Priority {
    LOW, MEDIUM, HIGH, CRITICAL;

    /** Every wire value, comma separated, for error messages. */
    public static final String VALID = Arrays.stream(values()).map(Priority::wire).collect(Collectors.joining(", "));

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Priority> parse(String wire) {
        return Arrays.stream(values()).filter(p -> p.wire().equals(wire)).findFirst();
    }

    @JsonCreator
    static Priority fromWire(String wire) {
        return parse(wire).orElseThrow(() -> new IllegalArgumentException(
                "Invalid priority. Must be one of: " + VALID));
    }
}
