package io.taskstate.app;

import io.taskstate.app.cli.InstanceCommand;
import io.taskstate.app.cli.TaskCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** The {@code taskstate} command line. */
@Command(name = "taskstate", mixinStandardHelpOptions = true, subcommands = {Main.Serve.class, TaskCommand.class,
        InstanceCommand.class, io.taskstate.app.mcp.McpCommand.class},
        description = "Task and worker coordination for fleets of agents, built on Kafka.")
public final class Main {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    /** Settings shared by every subcommand: a properties file, the environment, then flags. */
    static class Settings {
        @Option(names = "--config", paramLabel = "FILE",
                description = "Properties file of settings, named as the environment variables (e.g. TASKSTATE_HTTP_PORT=8081).")
        Path file;

        @Option(names = "--set", paramLabel = "NAME=VALUE",
                description = "Any setting, named as its environment variable; repeatable. Wins over the file and the environment.")
        Map<String, String> flags = new HashMap<>();

        @Option(names = "--kafka-bootstrap-servers", paramLabel = "HOSTS", description = "Kafka cluster; unset starts the embedded broker.")
        String bootstrap;

        @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port (default 8080; 0 picks a free one).")
        Integer httpPort;

        @Option(names = "--http-host", paramLabel = "HOST", description = "Address to bind (default 127.0.0.1).")
        String httpHost;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "Embedded broker log and Streams state (default ./data).")
        Path dataDir;

        @Option(names = "--partitions", paramLabel = "N", description = "Partitions of the task topics, fixed once created (default 6).")
        Integer partitions;

        TaskStateConfig load() throws IOException {
            Map<String, String> merged = new HashMap<>();
            if (file != null) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    p.load(in);
                }
                p.stringPropertyNames().forEach(k -> merged.put(k, p.getProperty(k)));
            }
            System.getenv().forEach((k, v) -> {
                if (k.startsWith("TASKSTATE_") || k.startsWith("KAFKA_")) {
                    merged.put(k, v);
                }
            });
            put(merged, TaskStateConfig.BOOTSTRAP, bootstrap);
            put(merged, TaskStateConfig.HTTP_PORT, httpPort);
            put(merged, TaskStateConfig.HTTP_HOST, httpHost);
            put(merged, TaskStateConfig.DATA_DIR, dataDir);
            put(merged, TaskStateConfig.PARTITIONS, partitions);
            merged.putAll(flags);
            LogFormat.parse(merged.get(TaskStateConfig.LOG_FORMAT)).apply();
            return TaskStateConfig.from(merged);
        }

        private static void put(Map<String, String> m, String name, Object value) {
            if (value != null) {
                m.put(name, value.toString());
            }
        }
    }

    /** Runs the server until Ctrl-C. */
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Start taskstate: the embedded Kafka broker (unless KAFKA_BOOTSTRAP_SERVERS is set), the stream processor and the HTTP API.")
    static final class Serve extends Settings implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            TaskStateConfig config;
            try {
                config = load();
            } catch (IllegalArgumentException e) {
                System.err.println("taskstate: " + e.getMessage());
                return 2;
            }
            TaskStateServer server;
            try {
                server = TaskStateServer.start(config);
            } catch (RuntimeException e) {
                System.err.println("taskstate: could not start: " + e.getMessage());
                return 1;
            }
            // SIGTERM (kill, docker stop) and SIGINT (Ctrl-C) ask for a clean stop: close everything in
            // order, then exit 0. The JVM's own handling of them would exit 143 or 130 after the hooks.
            CountDownLatch stopRequested = new CountDownLatch(1);
            for (String signal : List.of("TERM", "INT")) {
                Signal.handle(new Signal(signal), s -> stopRequested.countDown());
            }
            // Any other way down (SIGHUP, System.exit elsewhere) still closes everything.
            Thread hook = new Thread(server::close, "taskstate-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            stopRequested.await();
            Runtime.getRuntime().removeShutdownHook(hook);
            server.close();
            return 0;
        }
    }
}
