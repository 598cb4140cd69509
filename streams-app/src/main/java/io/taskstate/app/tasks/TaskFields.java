package io.taskstate.app.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskStatus;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Reads and checks the fields of a create or update. Messages follow the reference Task State
 * Server where it has one ("Invalid field: x", "Invalid status. Must be one of: ..."), and say what
 * to send instead where it has none.
 */
final class TaskFields {
    static final Set<String> WRITABLE = Set.of(
            "title", "description", "status", "priority", "assignee", "parent_task_id", "metadata", "depends_on");
    static final int MAX_TITLE_CHARS = 500;
    static final int MAX_ASSIGNEE_CHARS = 500;
    static final int MAX_DESCRIPTION_BYTES = 64 * 1024;
    static final int MAX_METADATA_BYTES = 64 * 1024;

    private TaskFields() {
    }

    static void requireKnown(ObjectNode fields) {
        fields.fieldNames().forEachRemaining(name -> {
            if (!WRITABLE.contains(name)) {
                throw Rejection.invalid("Invalid field: " + Rejection.shown(name));
            }
        });
    }

    static String title(JsonNode node) {
        if (node == null || node.isNull() || (node.isTextual() && node.asText().isBlank())) {
            throw Rejection.invalid("Title is required: give a non-empty string");
        }
        String title = text(node, "title");
        if (title.length() > MAX_TITLE_CHARS) {
            throw Rejection.invalid("Title is too long: " + title.length() + " characters, at most " + MAX_TITLE_CHARS);
        }
        return title;
    }

    static String description(JsonNode node) {
        String description = optionalText(node, "description");
        if (description != null && description.getBytes(StandardCharsets.UTF_8).length > MAX_DESCRIPTION_BYTES) {
            throw Rejection.invalid("Description is too long: at most " + MAX_DESCRIPTION_BYTES + " bytes of UTF-8");
        }
        return description;
    }

    static String assignee(JsonNode node) {
        String assignee = optionalText(node, "assignee");
        if (assignee != null && assignee.length() > MAX_ASSIGNEE_CHARS) {
            throw Rejection.invalid("Assignee is too long: " + assignee.length() + " characters, at most " + MAX_ASSIGNEE_CHARS);
        }
        return assignee;
    }

    static TaskStatus status(JsonNode node, TaskStatus absent) {
        if (node == null) {
            return absent;
        }
        return node.isTextual() ? TaskStatus.parse(node.asText()).orElseThrow(TaskFields::invalidStatus) : fail(invalidStatus());
    }

    static Priority priority(JsonNode node, Priority absent) {
        if (node == null) {
            return absent;
        }
        return node.isTextual() ? Priority.parse(node.asText()).orElseThrow(TaskFields::invalidPriority) : fail(invalidPriority());
    }

    static Long parentTaskId(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        return taskId(node, "parent_task_id");
    }

    /** A positive task id given as a JSON integer. */
    static long taskId(JsonNode node, String field) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() <= 0) {
            throw Rejection.invalid(field + " must be a positive integer task id, got " + Rejection.shown(node));
        }
        return node.asLong();
    }

    static ObjectNode metadata(JsonNode node) {
        if (node == null || node.isNull()) {
            return Json.object();
        }
        if (!node.isObject()) {
            throw Rejection.invalid("metadata must be a JSON object, got " + node.getNodeType().toString().toLowerCase());
        }
        if (Json.bytes(node).length > MAX_METADATA_BYTES) {
            throw Rejection.invalid("metadata is too large: at most " + MAX_METADATA_BYTES + " bytes serialized");
        }
        return (ObjectNode) node;
    }

    private static String optionalText(JsonNode node, String field) {
        return node == null || node.isNull() ? null : text(node, field);
    }

    private static String text(JsonNode node, String field) {
        if (!node.isTextual()) {
            throw Rejection.invalid(field + " must be a string, got " + node.getNodeType().toString().toLowerCase());
        }
        return node.asText();
    }

    private static Rejection invalidStatus() {
        return Rejection.invalid("Invalid status. Must be one of: " + TaskStatus.VALID);
    }

    private static Rejection invalidPriority() {
        return Rejection.invalid("Invalid priority. Must be one of: " + Priority.VALID);
    }

    private static <T> T fail(Rejection rejection) {
        throw rejection;
    }
}
