package io.taskstate.app.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.taskstate.app.query.Cursor;
import io.taskstate.app.query.TaskFilter;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskSort;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * {@code GET /api/v1/tasks/export?format=ndjson|csv&<filters>}: every task the filters match (not
 * one page), in the query's order, written as it is read: the query is run a page of
 * {@value #PAGE} at a time and each page written before the next is read, so memory does not grow
 * with the export. A failure before the first byte is a problem answer; one after it cuts the
 * connection, so the client sees an incomplete transfer rather than a short file.
 */
final class ExportRoute {
    static final int PAGE = ApiServer.MAX_LIMIT;
    /** The CSV columns, in order; {@code subtask_ids} and {@code metadata} hold JSON. */
    static final List<String> CSV_COLUMNS = List.of("id", "title", "description", "status", "priority", "assignee",
            "parent_task_id", "subtask_ids", "metadata", "created_at", "updated_at", "completed_at");

    private final ApiServer api;

    ExportRoute(ApiServer api) {
        this.api = api;
    }

    void register(RoutesConfig r) {
        r.get("/api/v1/tasks/export", this::export);
    }

    private void export(Context ctx) throws IOException {
        String format = ctx.queryParamAsClass("format", String.class).getOrDefault("ndjson");
        if (!format.equals("ndjson") && !format.equals("csv")) {
            throw ApiException.badRequest("format must be ndjson or csv, got '" + ApiServer.shorten(format) + "'");
        }
        TaskFilter filter = TaskQueryParams.filter(ctx, Set.of("format"));
        TaskSort sort = TaskQueryParams.sort(ctx);
        String filters = filterQuery(ctx);
        Cursor cursor = null;
        // the first page before any byte is written: a failure here is still a problem answer
        List<Task> page = api.query(filter, sort, null, PAGE, filters + "&limit=" + PAGE).join();
        ctx.status(200).contentType(format.equals("csv") ? "text/csv; charset=utf-8" : "application/x-ndjson");
        ctx.header("Content-Disposition", "attachment; filename=\"tasks." + format + "\"");
        OutputStream out = ctx.outputStream();
        try {
            if (format.equals("csv")) {
                out.write((String.join(",", CSV_COLUMNS) + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            while (true) {
                for (Task t : page.subList(0, Math.min(PAGE, page.size()))) {
                    out.write(format.equals("csv") ? csvRow(t) : ndjsonLine(t));
                }
                out.flush();
                if (page.size() <= PAGE) {
                    break;
                }
                cursor = Cursor.after(page.get(PAGE - 1), sort);
                page = api.query(filter, sort, cursor, PAGE, filters + "&limit=" + PAGE + "&cursor=" + cursor.encode()).join();
            }
        } catch (RuntimeException | IOException e) {
            ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData().getConnection().close();
            throw e;
        }
    }

    /** The filter and order parameters of {@code ctx}, without {@code format}, for the other instances. */
    private static String filterQuery(Context ctx) {
        List<String> params = new ArrayList<>();
        for (Map.Entry<String, List<String>> p : ctx.queryParamMap().entrySet()) {
            if (!p.getKey().equals("format")) {
                params.add(encode(p.getKey()) + "=" + encode(p.getValue().get(0)));
            }
        }
        return String.join("&", params);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static byte[] ndjsonLine(Task t) {
        byte[] json = Json.bytes(t);
        byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        return line;
    }

    static byte[] csvRow(Task t) {
        List<String> cells = List.of(Long.toString(t.id()), t.title(), text(t.description()), t.status().wire(), t.priority().wire(),
                text(t.assignee()), t.parentTaskId() == null ? "" : t.parentTaskId().toString(), Json.string(t.subtaskIds()),
                Json.string(t.metadata()), time(t.createdAt()), time(t.updatedAt()), time(t.completedAt()));
        StringBuilder row = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            row.append(i == 0 ? "" : ",").append(quote(cells.get(i)));
        }
        return row.append("\r\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled. */
    static String quote(String cell) {
        return cell.chars().anyMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r')
                ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell;
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }

    private static String time(java.time.Instant t) {
        return t == null ? "" : t.toString();
    }
}
