package io.taskstate.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Task;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a command prints what it got: with {@code --json} the entity or array as the API returns it,
 * otherwise key: value lines for one entity and an aligned table for a list.
 */
final class Output {
    static final int TITLE_WIDTH = 60;

    private final PrintWriter out;
    private final boolean json;

    Output(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    void line(String text) {
        out.println(text);
    }

    /** Prints {@code value} as pretty JSON. */
    void printJson(Object value) {
        try {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    void task(Task task) {
        entity(task);
    }

    void instance(Instance instance) {
        entity(instance);
    }

    void tasks(List<Task> tasks) {
        if (json) {
            printJson(tasks);
            return;
        }
        if (tasks.isEmpty()) {
            line("no tasks");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "STATUS", "PRIORITY", "ASSIGNEE", "PARENT", "TITLE"});
        for (Task t : tasks) {
            rows.add(new String[] {Long.toString(t.id()), t.status().wire(), t.priority().wire(), orDash(t.assignee()),
                    orDash(t.parentTaskId()), truncate(t.title(), TITLE_WIDTH)});
        }
        table(rows);
    }

    void instances(List<Instance> instances) {
        if (json) {
            printJson(instances);
            return;
        }
        if (instances.isEmpty()) {
            line("no instances");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"INSTANCE", "STATUS", "ACTIVE", "TASK", "LAST_HEARTBEAT", "WORKING_DIRECTORY"});
        for (Instance i : instances) {
            rows.add(new String[] {i.instanceId(), i.status().wire(), Boolean.TRUE.equals(i.active()) ? "yes" : "no",
                    orDash(i.currentTaskId()), i.lastHeartbeat().toString(), orDash(i.workingDirectory())});
        }
        table(rows);
    }

    /** One entity: its JSON, or one {@code key: value} line per field that is set, keys aligned. */
    private void entity(Object value) {
        if (json) {
            printJson(value);
            return;
        }
        JsonNode tree = Json.MAPPER.valueToTree(value);
        int width = 0;
        for (Map.Entry<String, JsonNode> field : tree.properties()) {
            width = Math.max(width, field.getKey().length());
        }
        for (Map.Entry<String, JsonNode> field : tree.properties()) {
            if (field.getValue().isNull()) {
                continue;
            }
            String text = field.getValue().isValueNode() ? field.getValue().asText() : field.getValue().toString();
            line(pad(field.getKey() + ":", width + 2) + oneLine(text));
        }
    }

    private void table(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                b.append(c == columns - 1 ? row[c] : pad(row[c], widths[c] + 2));
            }
            line(b.toString().stripTrailing());
        }
    }

    static String truncate(String text, int max) {
        String flat = oneLine(text);
        return flat.length() <= max ? flat : flat.substring(0, max - 3) + "...";
    }

    private static String oneLine(String text) {
        return text.replaceAll("[\\r\\n\\t]+", " ");
    }

    private static String orDash(Object value) {
        return value == null ? "-" : oneLine(value.toString());
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }
}
