package io.taskstate.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** What an agent instance says it is doing. The wire form is the lower-case name. */
public enum InstanceStatus {
    ACTIVE, IDLE, BUSY;

    /** Every wire value, comma separated, for error messages. */
    public static final String VALID = Arrays.stream(values()).map(InstanceStatus::wire).collect(Collectors.joining(", "));

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<InstanceStatus> parse(String wire) {
        return Arrays.stream(values()).filter(s -> s.wire().equals(wire)).findFirst();
    }

    @JsonCreator
    static InstanceStatus fromWire(String wire) {
        return parse(wire).orElseThrow(() -> new IllegalArgumentException("Invalid status. Must be one of: " + VALID));
    }
}
