package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.ChildJvm;
import io.taskstate.app.testing.FreePorts;
import io.taskstate.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM (Ctrl-C, {@code docker stop}) while requests are in flight: the HTTP API stops taking
 * connections, answers every request it had already taken in full, then Kafka Streams closes and
 * leaves its group, the embedded broker stops last, and the process exits 0. A request counts as
 * taken once the server asked for its body ({@code Expect: 100-continue}), so "in flight" is a
 * fact, not a guess about timing. Some of them are slow uploads that only finish their body after
 * the shutdown began.
 */
class GracefulShutdownIT {
    private static final Duration READY_DEADLINE = Duration.ofSeconds(120);
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(60);
    private static final int HELD_REQUESTS = 4;
    private static final int LOAD_WORKERS = 4;
    private static final int LOAD_BEFORE_STOP = 40;

    @TempDir
    Path dir;

    private final List<ChildJvm> launched = new ArrayList<>();
    private final Collection<String> violations = new ConcurrentLinkedQueue<>();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger turnedAway = new AtomicInteger();
    private ExecutorService pool;
    private ScheduledExecutorService trickler;
    private int httpPort;
    private int kafkaPort;
    private int controllerPort;

    @RegisterExtension
    final AfterTestExecutionCallback printServerLogsOnFailure = context -> {
        if (context.getExecutionException().isPresent()) {
            launched.forEach(ChildJvm::printLog);
        }
    };

    @AfterEach
    void stopEverything() {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (trickler != null) {
            trickler.shutdownNow();
        }
        launched.forEach(ChildJvm::kill);
    }

    @Test
    void sigterm_answers_every_request_in_flight_then_closes_streams_then_the_broker_and_exits_0() throws Exception {
        // Given the server on the embedded default, requests waiting to send their bodies, and creates arriving non-stop
        int[] ports = FreePorts.take(3);
        httpPort = ports[0];
        kafkaPort = ports[1];
        controllerPort = ports[2];
        ChildJvm.Launcher launcher = new ChildJvm.Launcher(dir);
        ChildJvm first = launch(launcher);
        awaitReady(first);
        trickler = Executors.newSingleThreadScheduledExecutor();
        List<Request> held = new ArrayList<>();
        for (int i = 0; i < HELD_REQUESTS; i++) {
            held.add(Request.trickled(httpPort, "{\"title\":\"sent during shutdown " + i + "\"}", trickler));
        }
        pool = Executors.newFixedThreadPool(LOAD_WORKERS);
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < LOAD_WORKERS; w++) {
            int worker = w;
            workers.add(pool.submit(() -> createUntilRefused(worker)));
        }
        await("creates answered before the stop").atMost(READY_DEADLINE).until(() -> answered.get() >= LOAD_BEFORE_STOP);

        // When it gets SIGTERM, and the held requests send their bodies once the shutdown has begun
        long stoppingAt = System.nanoTime();
        first.terminate();
        await("the shutdown begins").atMost(EXIT_DEADLINE).until(() -> first.log().contains(STOPPING_HTTP));
        List<String> heldAnswers = new ArrayList<>();
        for (Request request : held) {
            heldAnswers.add(request.finish());
        }
        boolean exited = first.awaitExit(EXIT_DEADLINE);
        long exitedAt = System.nanoTime();
        for (Future<?> worker : workers) {
            worker.get(EXIT_DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }

        // Then every request it had taken got its whole answer
        System.out.printf("GracefulShutdownIT: SIGTERM -> exit in %d ms; %d requests in flight or held across the stop, "
                        + "all answered in full: %d creates answered, %d answered 503 during the stop, %d connections "
                        + "refused after it, %d cut off%n",
                millis(exitedAt - stoppingAt), HELD_REQUESTS, answered.get(), turnedAway.get(), refused.get(), violations.size());
        assertThat(exited).as("exited within %s of SIGTERM", EXIT_DEADLINE).isTrue();
        assertThat(first.process().exitValue()).as("exit code after SIGTERM").isZero();
        assertThat(violations).as("requests taken but not answered in full").isEmpty();
        for (String answer : heldAnswers) {
            assertThat(status(answer)).as("held request: %s", answer).isEqualTo(201);
            assertThat(body(answer).get("title").asText()).startsWith("sent during shutdown");
        }
        // and the log shows the order: HTTP stops taking connections, finishes, then Streams closes and leaves, the broker last
        String log = first.log();
        assertThat(log).doesNotContainPattern("Closing the .+ failed");
        assertThat(positions(log, STOPPING_HTTP, HTTP_STOPPED, "Kafka Streams PENDING_SHUTDOWN -> NOT_RUNNING",
                LEFT_GROUP, "Embedded Kafka broker stopped")).isSorted().doesNotContain(-1);

        // and after a restart every answered create is there, the group needing no wait for a departed member
        ChildJvm second = launch(launcher);
        awaitReady(second);
        System.out.printf("GracefulShutdownIT: restart after SIGTERM ready %d ms after launch%n",
                millis(System.nanoTime() - second.launchedAt()));
        Http http = new Http("http://127.0.0.1:" + httpPort);
        for (String answer : heldAnswers) {
            long id = body(answer).get("id").asLong();
            assertThat(http.get("/api/v1/tasks/" + id).status()).as("task %d after the restart", id).isEqualTo(200);
        }
        Http.Response check = http.get("/api/v1/admin/check");
        assertThat(check.body().get("tasks").asLong()).isEqualTo(answered.get() + HELD_REQUESTS);
    }

    /** Log lines of the shutdown, as {@code TaskStateServer} writes them. */
    private static final String STOPPING_HTTP = "HTTP API no longer accepts connections";
    private static final String HTTP_STOPPED = "HTTP API stopped, every request in flight answered";
    private static final String LEFT_GROUP = "left its group taskstate (0 members remain)";

    /** Creates one task after another, each on a new connection, until the server refuses connections. */
    private void createUntilRefused(int worker) {
        for (int n = 0; ; n++) {
            Request request;
            try {
                request = Request.open(httpPort, "{\"title\":\"load " + worker + "-" + n + "\"}");
            } catch (NotTaken e) {
                refused.incrementAndGet();
                return;
            }
            String answer;
            try {
                answer = request.finish();
            } catch (UncheckedIOException e) {
                violations.add("create " + worker + "-" + n + " was taken, then cut off: " + e.getCause());
                return;
            }
            if (status(answer) == 503) {
                turnedAway.incrementAndGet(); // taken after the shutdown began: a complete answer that says to retry
                continue;
            }
            if (status(answer) != 201 || !body(answer).has("id")) {
                violations.add("create " + worker + "-" + n + " answered " + answer);
                return;
            }
            answered.incrementAndGet();
        }
    }

    private static List<Integer> positions(String log, String... lines) {
        List<Integer> at = new ArrayList<>();
        for (String line : lines) {
            at.add(log.indexOf(line));
        }
        return at;
    }

    private ChildJvm launch(ChildJvm.Launcher launcher) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(TaskStateConfig.DATA_DIR, dir.resolve("data").toString());
        settings.put(TaskStateConfig.HTTP_PORT, Integer.toString(httpPort));
        settings.put(TaskStateConfig.EMBEDDED_KAFKA_PORT, Integer.toString(kafkaPort));
        settings.put(TaskStateConfig.EMBEDDED_CONTROLLER_PORT, Integer.toString(controllerPort));
        settings.put(TaskStateConfig.PARTITIONS, "3");
        ChildJvm server = launcher.serve(settings, "server");
        launched.add(server);
        return server;
    }

    private void awaitReady(ChildJvm server) {
        Http http = new Http("http://127.0.0.1:" + httpPort);
        await("GET /health/ready == 200 on port " + httpPort).atMost(READY_DEADLINE).pollInterval(Duration.ofMillis(100))
                .ignoreException(UncheckedIOException.class)
                .until(() -> {
                    server.requireAlive();
                    return http.get("/health/ready").status() == 200;
                });
    }

    private static int status(String answer) {
        return Integer.parseInt(answer.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
    }

    private static JsonNode body(String answer) {
        try {
            return Json.tree(answer.substring(answer.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** The server refused the connection, or closed it before it asked for the body: it never took the request. */
    private static final class NotTaken extends RuntimeException {
        NotTaken(Throwable cause) {
            super(cause);
        }
    }

    /**
     * A {@code POST /api/v1/tasks} on its own connection with {@code Expect: 100-continue}: {@link
     * #open} returns once the server has asked for the body, {@link #finish} sends it and reads the
     * whole answer, which must be complete (its {@code Content-Length} of body, up to the close).
     */
    private static final class Request {
        /** Leading whitespace of a trickled body, sent a byte at a time; JSON allows it. */
        private static final int PADDING = 500;
        private static final Duration TRICKLE_EVERY = Duration.ofMillis(100);

        private final Socket socket;
        private final byte[] body;
        /** The head of a final answer the server sent instead of asking for the body, or null. */
        private final String early;
        private int sent;
        private ScheduledFuture<?> trickling;

        private Request(Socket socket, byte[] body, String early) {
            this.socket = socket;
            this.body = body;
            this.early = early;
        }

        /**
         * A request whose body starts with whitespace, sent a byte at a time from {@code scheduler}
         * until {@link #finish}: a slow upload, in flight and never silent long enough to be taken
         * for an idle connection.
         */
        static Request trickled(int port, String json, ScheduledExecutorService scheduler) {
            Request request = open(port, " ".repeat(PADDING) + json);
            request.trickling = scheduler.scheduleAtFixedRate(request::sendPaddingByte, 0, TRICKLE_EVERY.toMillis(),
                    TimeUnit.MILLISECONDS);
            return request;
        }

        private synchronized void sendPaddingByte() {
            if (sent < PADDING - 1 && early == null) {
                try {
                    socket.getOutputStream().write(body[sent++]);
                    socket.getOutputStream().flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        private synchronized void sendRest() throws IOException {
            if (trickling != null) {
                trickling.cancel(false);
            }
            socket.getOutputStream().write(body, sent, body.length - sent);
            socket.getOutputStream().flush();
            sent = body.length;
        }

        static Request open(int port, String json) {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            Socket socket;
            try {
                socket = new Socket(InetAddress.getLoopbackAddress(), port);
            } catch (ConnectException e) {
                throw new NotTaken(e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                socket.setSoTimeout((int) EXIT_DEADLINE.toMillis());
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/v1/tasks HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String interim = readHead(socket.getInputStream());
                if (interim.isEmpty()) {
                    throw new IOException("closed before the server asked for the body");
                }
                return new Request(socket, body, interim.startsWith("HTTP/1.1 100") ? null : interim);
            } catch (IOException e) {
                close(socket);
                throw new NotTaken(e);
            }
        }

        String finish() {
            try (socket) {
                InputStream in = socket.getInputStream();
                String head = early;
                if (head == null) {
                    sendRest();
                    head = readHead(in);
                }
                if (head.isEmpty()) {
                    throw new IOException("connection closed with no answer");
                }
                int length = contentLength(head);
                byte[] content = in.readNBytes(length);
                if (content.length < length) {
                    throw new IOException("answer cut off after " + content.length + " of " + length + " bytes: " + head);
                }
                return head + "\r\n\r\n" + new String(content, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The status line and headers, up to the blank line; empty if the stream ends first. */
        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            while (matched < end.length) {
                int b = in.read();
                if (b < 0) {
                    if (head.size() == 0) {
                        return "";
                    }
                    throw new IOException("answer cut off in its headers: " + head.toString(StandardCharsets.US_ASCII));
                }
                head.write(b);
                matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String text = head.toString(StandardCharsets.US_ASCII);
            return text.substring(0, text.length() - end.length);
        }

        private static int contentLength(String head) throws IOException {
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, "Content-Length:".length())) {
                    return Integer.parseInt(line.substring("Content-Length:".length()).trim());
                }
            }
            throw new IOException("no Content-Length in " + head);
        }

        private static void close(Socket socket) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a connection the server already dropped
            }
        }
    }
}
