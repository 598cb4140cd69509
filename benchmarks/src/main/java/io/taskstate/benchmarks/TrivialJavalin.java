package io.taskstate.benchmarks;

import io.javalin.Javalin;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import java.util.List;

/**
 * The baseline for {@code GET /api/v1/tasks/{id}}: a Javalin server whose one route,
 * {@code GET /api/v1/tasks/{id}}, answers every id with the same task JSON, serialized once at start.
 * No store, no routing, no auth: what Javalin and Jetty alone cost per request on this machine, run
 * with the server's JVM settings and loaded the same way. Stops on SIGTERM.
 */
public final class TrivialJavalin {
    private static final String USAGE = """
            usage: TrivialJavalin [--port N]
              --port  HTTP port on 127.0.0.1 (default 18090)""";

    private TrivialJavalin() {
    }

    public static void main(String[] argv) {
        Args args = Args.parse(argv, USAGE, "--port");
        int port = args.getInt("--port", 18090);
        Instant now = Instant.now();
        byte[] body = Json.bytes(new Task(42, "Build the thing", "A task of typical size", TaskStatus.PENDING,
                Priority.MEDIUM, null, null, List.of(), Json.object().put("team", "backend"), now, now, null, null));
        Javalin app = Javalin.create(config -> {
            config.jetty.host = "127.0.0.1";
            config.jetty.port = port;
            config.startup.showJavalinBanner = false;
            config.routes.get("/api/v1/tasks/{id}", ctx -> ctx.contentType("application/json").result(body));
        }).start();
        Runtime.getRuntime().addShutdownHook(new Thread(app::stop));
        System.out.println("trivial javalin listening on http://127.0.0.1:" + port);
    }
}
