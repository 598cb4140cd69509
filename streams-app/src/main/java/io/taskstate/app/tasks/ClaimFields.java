package io.taskstate.app.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Set;

/** Reads and checks the fields of claims, releases, completions and lease renewals. */
final class ClaimFields {
    /** The longest lease a claim may ask for. */
    static final Duration MAX_LEASE = Duration.ofDays(7);

    private ClaimFields() {
    }

    static void requireKnown(ObjectNode fields, String... allowed) {
        Set<String> known = Set.of(allowed);
        fields.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                throw Rejection.invalid("Invalid field: " + Rejection.shown(name) + ". Allowed: " + String.join(", ", allowed));
            }
        });
    }

    static String assignee(JsonNode node) {
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw Rejection.invalid("assignee is required: give the name of the worker (its instance id)");
        }
        return TaskFields.assignee(node);
    }

    /** The assignee of a claim. It also names the holder's instance, which the claim creates if need be, so it must be a valid instance id. */
    static String claimant(JsonNode node) {
        String assignee = assignee(node);
        if (assignee.length() > InstanceHandler.MAX_ID_CHARS || assignee.chars().anyMatch(Character::isISOControl)) {
            throw Rejection.invalid("assignee of a claim names the worker's instance, so it must be a valid instance id: at most "
                    + InstanceHandler.MAX_ID_CHARS + " characters, no control characters");
        }
        return assignee;
    }

    static Long leaseMillis(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() <= 0 || node.asLong() > MAX_LEASE.toSeconds()) {
            throw Rejection.invalid("lease_seconds must be a whole number of seconds from 1 to " + MAX_LEASE.toSeconds()
                    + ", got " + Rejection.shown(node));
        }
        return Duration.ofSeconds(node.asLong()).toMillis();
    }

    static boolean force(JsonNode node) {
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw Rejection.invalid("force must be true or false, got " + Rejection.shown(node));
        }
        return node.asBoolean();
    }
}
