package io.taskstate.app.testing;

import io.taskstate.app.Main;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Java process a test starts on the test classpath: {@code taskstate serve}, or any small main
 * of the test sources. Its stdout and stderr go to a log file. Fault tests kill it with SIGKILL,
 * stop it with SIGTERM, or let it halt itself, and read its log.
 */
public final class ChildJvm {
    private final Process process;
    private final Path logFile;
    private final long launchedAt;

    private ChildJvm(Process process, Path logFile, long launchedAt) {
        this.process = process;
        this.logFile = logFile;
        this.launchedAt = launchedAt;
    }

    /**
     * Starts child JVMs from a copy of the test classpath made once under a directory: a build
     * running in the same tree meanwhile rewrites {@code target/classes}, and a class loaded late
     * would then go missing.
     */
    public static final class Launcher {
        private final Path dir;
        private final String classpath;
        private final Path logback;
        private int launched;

        public Launcher(Path dir) {
            this.dir = dir;
            this.logback = dir.resolve("classpath").resolve("logback.xml");
            this.classpath = stableClasspath(dir.resolve("classpath"), logback);
        }

        /**
         * {@code taskstate serve} configured only by {@code settings} (each passed as {@code --set
         * NAME=VALUE}), logging as shipped; the log is {@code name-N.log} under the directory.
         */
        public ChildJvm serve(Map<String, String> settings, String name) {
            List<String> args = new ArrayList<>(List.of("serve"));
            settings.forEach((setting, value) -> args.addAll(List.of("--set", setting + "=" + value)));
            return run(Main.class, args, name);
        }

        /** Runs {@code main} with {@code args}. */
        public ChildJvm run(Class<?> main, List<String> args, String name) {
            // The test classpath holds logback-test.xml (root at WARN); children log as shipped.
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classpath, "-Dlogback.configurationFile=" + logback, main.getName()));
            command.addAll(args);
            Path log = dir.resolve(name + "-" + (++launched) + ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            // Main reads every TASKSTATE_* and KAFKA_* variable; only the arguments may configure a child.
            builder.environment().keySet().removeIf(v -> v.startsWith("TASKSTATE_") || v.startsWith("KAFKA_"));
            try {
                long at = System.nanoTime();
                return new ChildJvm(builder.start(), log, at);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot launch " + command, e);
            }
        }
    }

    public Process process() {
        return process;
    }

    /** {@link System#nanoTime()} when it was launched. */
    public long launchedAt() {
        return launchedAt;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Throws if the process has exited, naming its exit code and log. */
    public void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(logFile.getFileName() + " exited with code " + process.exitValue());
        }
    }

    /** Waits for the process to exit; false if it is still running after {@code deadline}. */
    public boolean awaitExit(Duration deadline) {
        try {
            return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + logFile.getFileName() + " to exit", e);
        }
    }

    /** SIGTERM, what Ctrl-C and {@code docker stop} send; does not wait. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL, and wait until the process is gone. */
    public void killForcibly() {
        process.destroyForcibly();
        Duration deadline = Duration.ofSeconds(30);
        if (!awaitExit(deadline)) {
            throw new IllegalStateException(logFile.getFileName() + " (pid " + process.pid() + ") survived SIGKILL for " + deadline);
        }
    }

    /** SIGKILL if it is still running. */
    public void kill() {
        if (process.isAlive()) {
            killForcibly();
        }
    }

    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void printLog() {
        System.out.println("----- " + logFile.getFileName() + " (pid " + process.pid() + ") -----");
        System.out.println(log());
    }

    private static String stableClasspath(Path into, Path logback) {
        try (InputStream shipped = Objects.requireNonNull(Main.class.getResourceAsStream("/logback.xml"), "logback.xml of streams-app")) {
            Files.createDirectories(into);
            Files.copy(shipped, logback);
            List<String> entries = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path source = Path.of(entry);
                if (!Files.isDirectory(source)) {
                    entries.add(entry);
                    continue;
                }
                Path copy = into.resolve(Integer.toString(entries.size()));
                try (Stream<Path> files = Files.walk(source)) {
                    for (Path file : (Iterable<Path>) files::iterator) {
                        Path target = copy.resolve(source.relativize(file).toString());
                        if (Files.isDirectory(file)) {
                            Files.createDirectories(target);
                        } else {
                            Files.copy(file, target);
                        }
                    }
                }
                entries.add(copy.toString());
            }
            return String.join(File.pathSeparator, entries);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot copy the test classpath to " + into, e);
        }
    }
}
