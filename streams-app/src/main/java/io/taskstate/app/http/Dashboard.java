package io.taskstate.app.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The operator's web page at {@code /}: plain HTML, CSS and JavaScript from the jar, no build step
 * and nothing fetched from the network. The page itself is open; the API calls it makes carry the
 * token the operator enters when the API answers 401.
 */
final class Dashboard {
    /** Where the page's script and style sheet are served. */
    static final String FILES = "/dashboard/";
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");

    private final Map<String, byte[]> files;

    Dashboard() {
        Map<String, byte[]> loaded = new java.util.HashMap<>();
        for (String name : TYPES.keySet()) {
            try (InputStream in = Dashboard.class.getResourceAsStream(FILES + name)) {
                if (in == null) {
                    throw new IllegalStateException("The resource " + FILES + name + " is missing from the jar");
                }
                loaded.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        this.files = Map.copyOf(loaded);
    }

    void register(RoutesConfig r) {
        r.get("/", ctx -> serve(ctx, "index.html"));
        r.get(FILES + "{file}", ctx -> {
            String name = ctx.pathParam("file");
            if (name.equals("index.html") || !files.containsKey(name)) {
                throw new ApiException(404, "No dashboard file " + ApiServer.shorten(name) + "; the page is at /");
            }
            serve(ctx, name);
        });
    }

    private void serve(Context ctx, String name) {
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType(TYPES.get(name)).result(files.get(name));
    }
}
