package io.taskstate.app.tasks;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What happens to the in-progress tasks of an instance whose heartbeats stopped. */
public enum ExpiryPolicy {
    /** Back to {@code pending}, assignee cleared, so another worker can take them. */
    RELEASE,
    /** Left as they are; only the instance shows as inactive. */
    KEEP,
    /** Moved to {@code blocked}, assignee kept, for a person to look at. */
    BLOCK;

    public static ExpiryPolicy parse(String text) {
        return Arrays.stream(values()).filter(p -> p.name().equalsIgnoreCase(text)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("must be one of "
                        + Arrays.stream(values()).map(p -> p.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "))));
    }
}
