package io.taskstate.app.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.Main;
import io.taskstate.protocol.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code taskstate mcp} in its own JVM, as an MCP host launches it: newline-delimited JSON-RPC on
 * its stdin and stdout, its logs (stderr) in a file. Every stdout line is kept, to check that only
 * JSON-RPC goes there.
 */
final class McpStdioClient extends McpClient {
    private final Process process;
    private final Path logFile;
    private final OutputStream stdin;
    private final Map<Long, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();
    private final List<String> stdoutLines = new CopyOnWriteArrayList<>();
    private volatile Duration answerDeadline = ANSWER_DEADLINE;

    private McpStdioClient(Process process, Path logFile) {
        this.process = process;
        this.logFile = logFile;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(this::readStdout, "mcp-stdout-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Launches {@code java <jvmOptions> -cp <test classpath> io.taskstate.app.Main mcp <options>}
     * with {@code environment} as its whole environment, or with this JVM's (less TASKSTATE_* and
     * KAFKA_*) when it is null.
     */
    static McpStdioClient launch(Path logFile, List<String> jvmOptions, List<String> options, Map<String, String> environment) {
        URL logback = Objects.requireNonNull(Main.class.getResource("/logback.xml"), "logback.xml of streams-app");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=" + logback,
                Main.class.getName(), "mcp"));
        command.addAll(options);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        if (environment == null) {
            builder.environment().keySet().removeIf(name -> name.startsWith("TASKSTATE_") || name.startsWith("KAFKA_"));
        } else {
            builder.environment().clear();
            builder.environment().putAll(environment);
        }
        try {
            return new McpStdioClient(builder.start(), logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot launch " + command, e);
        }
    }

    /** {@code taskstate mcp --url <app> --kafka-bootstrap-servers <servers> --topic-prefix <prefix>}. */
    static McpStdioClient connectedTo(Path logFile, String url, String bootstrapServers, String topicPrefix) {
        return launch(logFile, List.of(), List.of("--url", url, "--kafka-bootstrap-servers", bootstrapServers,
                "--topic-prefix", topicPrefix), null);
    }

    private void readStdout() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                stdoutLines.add(line);
                JsonNode message;
                try {
                    message = json(line);
                } catch (UncheckedIOException notJson) {
                    continue;
                }
                if (message.has("id") && !message.has("method")) {
                    CompletableFuture<JsonNode> answer = waiting.remove(message.get("id").asLong());
                    if (answer != null) {
                        answer.complete(message);
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone; the waits below say so
        } finally {
            waiting.values().forEach(w -> w.completeExceptionally(new IllegalStateException(
                    "taskstate mcp closed stdout before answering" + exitNote())));
        }
    }

    @Override
    JsonNode exchange(ObjectNode request) {
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        waiting.put(request.get("id").asLong(), answer);
        write(request);
        try {
            return answer.get(answerDeadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("No answer to " + request + " within " + answerDeadline + exitNote(), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage() + ": " + request, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted waiting for the answer to " + request, e);
        }
    }

    /** Waits up to {@code deadline} for each answer from now on (longer while the process starts a broker). */
    McpStdioClient answerWithin(Duration deadline) {
        this.answerDeadline = deadline;
        return this;
    }

    @Override
    void send(ObjectNode notification) {
        write(notification);
    }

    /** Writes raw text to stdin, a line or several, as they are. */
    void writeRaw(String text) {
        try {
            stdin.write(text.getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write to taskstate mcp" + exitNote(), e);
        }
    }

    private void write(ObjectNode message) {
        writeRaw(Json.string(message) + "\n");
    }

    /** Every line the process wrote to stdout so far. */
    List<String> stdoutLines() {
        return List.copyOf(stdoutLines);
    }

    /** What an MCP host does to stop the server: close its stdin. */
    void closeStdin() {
        try {
            stdin.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Process process() {
        return process;
    }

    boolean awaitExit(Duration deadline) {
        try {
            return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted waiting for taskstate mcp to exit", e);
        }
    }

    String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void printLog() {
        System.out.println("----- " + logFile.getFileName() + " (pid " + process.pid() + ") -----");
        System.out.println(log());
    }

    private String exitNote() {
        return process.isAlive() ? "" : " (it exited with code " + process.exitValue() + "; its log: " + logFile + ")";
    }

    /** Closes stdin and waits for the exit; kills the process if it outlives the deadline. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                closeStdin();
            } catch (UncheckedIOException ignored) {
                // already closed
            }
            if (!awaitExit(answerDeadline)) {
                process.destroyForcibly();
                awaitExit(answerDeadline);
            }
        }
    }
}
