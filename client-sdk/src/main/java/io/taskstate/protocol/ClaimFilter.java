package io.taskstate.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Which pending tasks a {@code claim_next} may take. Every set filter must hold. {@code metadata}
 * matches when each of its fields equals the task's, or, for a task field that is an array and a
 * filter value that is not, when the array contains the value ({@code {"capabilities": "gpu"}}
 * matches {@code "capabilities": ["gpu", "cpu"]}).
 */
public record ClaimFilter(Priority priority, boolean unassignedOnly, Long parentTaskId, String titleContains,
                          ObjectNode metadata) {

    public static final ClaimFilter ANY = new ClaimFilter(null, false, null, null, null);

    public ClaimFilter priority(Priority p) {
        return new ClaimFilter(p, unassignedOnly, parentTaskId, titleContains, metadata);
    }

    public ClaimFilter onlyUnassigned() {
        return new ClaimFilter(priority, true, parentTaskId, titleContains, metadata);
    }

    public ClaimFilter parent(long id) {
        return new ClaimFilter(priority, unassignedOnly, id, titleContains, metadata);
    }

    public ClaimFilter titleContains(String text) {
        return new ClaimFilter(priority, unassignedOnly, parentTaskId, text, metadata);
    }

    public ClaimFilter metadata(String field, Object value) {
        ObjectNode m = metadata == null ? Json.object() : metadata.deepCopy();
        m.set(field, Json.MAPPER.valueToTree(value));
        return new ClaimFilter(priority, unassignedOnly, parentTaskId, titleContains, m);
    }

    /** Whether a pending task {@code t} may be taken under this filter. */
    public boolean matches(Task t) {
        return (priority == null || t.priority() == priority)
                && matchesOutline(titleContains == null ? null : lowerCaseTitle(t), t.parentTaskId(), t.assignee() != null)
                && metadataMatches(t.metadata());
    }

    /**
     * Whether a task with this title ({@link #lowerCaseTitle}; may be null when the filter has no
     * {@code titleContains}), parent and assignee passes the filter's title, parent and unassigned
     * rules: its priority and metadata are not tested.
     */
    public boolean matchesOutline(String lowerCaseTitle, Long parentTaskId, boolean assigned) {
        return (!unassignedOnly || !assigned)
                && (this.parentTaskId == null || this.parentTaskId.equals(parentTaskId))
                && (titleContains == null || lowerCaseTitle.contains(titleContains.toLowerCase(Locale.ROOT)));
    }

    /** The title as {@code titleContains} compares it: case does not matter. */
    public static String lowerCaseTitle(Task t) {
        return t.title().toLowerCase(Locale.ROOT);
    }

    private boolean metadataMatches(ObjectNode actual) {
        if (metadata == null) {
            return true;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode value = actual.get(e.getKey());
            boolean contained = value != null && value.isArray() && !e.getValue().isArray() && contains(value, e.getValue());
            if (value == null || !(value.equals(e.getValue()) || contained)) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(JsonNode array, JsonNode wanted) {
        for (JsonNode element : array) {
            if (element.equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}
