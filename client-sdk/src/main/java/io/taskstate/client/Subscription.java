package io.taskstate.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.client.internal.HttpApi;
import io.taskstate.protocol.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live stream of changes from {@code GET /api/v1/events}, made by {@link TaskStateClient#subscribe}.
 * Events reach the listener on this subscription's own thread, one at a time, in order for each
 * task and each instance. When the connection breaks, it reconnects with the id of the last event
 * it saw, so no change is missed or delivered twice (within the server's retention; beyond it the
 * listener gets a {@link TaskEvent#isLost() lost} notice). Close it to stop.
 */
public final class Subscription implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Subscription.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final HttpApi http;
    private final String path;
    private final Consumer<TaskEvent> listener;
    private final Thread thread;
    private volatile String lastId;
    private volatile InputStream current;
    private volatile boolean closed;
    private volatile TaskStateException failure;

    private Subscription(HttpApi http, String path, Consumer<TaskEvent> listener) {
        this.http = http;
        this.path = path;
        this.listener = listener;
        this.thread = new Thread(this::run, "taskstate-subscription");
        this.thread.setDaemon(true);
    }

    /** Connects and waits for the server to position the stream, so every change committed after this returns is delivered. */
    static Subscription open(HttpApi http, EventFilter filter, String afterEventId, Consumer<TaskEvent> listener) {
        String query = filter.toQueryString();
        Subscription s = new Subscription(http, "api/v1/events" + (query.isEmpty() ? "" : "?" + query), listener);
        s.lastId = afterEventId;
        BufferedReader reader;
        try {
            reader = s.connect();
        } catch (HttpApi.Problem p) {
            throw p.status() == 400 ? new TaskStateException.Invalid(p.getMessage(), null)
                    : p.status() == 503 ? new TaskStateException.Unavailable(p.getMessage(), p)
                    : new TaskStateException("HTTP " + p.status() + ": " + p.getMessage(), null, p);
        } catch (IOException e) {
            throw new TaskStateException("Cannot open the events stream: " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskStateException("Interrupted while opening the events stream", null, e);
        }
        s.reader = reader;
        s.thread.start();
        return s;
    }

    private BufferedReader reader; // handed from open() to the thread before it starts

    /** Opens the stream (after {@link #lastId}, if any) and reads its first frame, the position it starts at. */
    private BufferedReader connect() throws IOException, InterruptedException {
        InputStream in = http.stream(path, "text/event-stream", lastId);
        current = in;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        if (!readFrame(reader)) {
            throw new IOException("the events stream ended before it started");
        }
        return reader;
    }

    private void run() {
        long backoff = 100;
        while (!closed) {
            try {
                BufferedReader r = reader != null ? reader : connect();
                reader = null;
                backoff = 100;
                while (readFrame(r)) {
                    // each frame delivered as read
                }
            } catch (HttpApi.Problem p) {
                if (p.status() / 100 == 4) {
                    failure = new TaskStateException("The events stream refused to resume (HTTP " + p.status() + "): "
                            + p.getMessage(), null, p);
                    log.error("Events subscription ends: {}", failure.getMessage());
                    closed = true;
                    return;
                }
                log.warn("Events stream unavailable (HTTP {}: {}); retrying", p.status(), p.getMessage());
            } catch (IOException e) {
                if (!closed) {
                    log.info("Events stream broke ({}); reconnecting after {}", e.getMessage(), lastId);
                }
            } catch (InterruptedException e) {
                return;
            }
            closeQuietly();
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF.toMillis());
        }
    }

    /** Reads one frame up to its blank line and delivers it; {@code false} at the end of the stream. */
    private boolean readFrame(BufferedReader reader) throws IOException {
        String id = null;
        String event = null;
        StringBuilder data = null;
        while (true) {
            String line = reader.readLine();
            if (line == null) {
                return false;
            }
            if (line.isEmpty()) {
                break;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
            switch (field) {
                case "id" -> id = value;
                case "event" -> event = value;
                case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                default -> { }
            }
        }
        if (id != null) {
            lastId = id;
        }
        if (data != null && !closed) {
            deliver(event, data.toString());
        }
        return true;
    }

    private void deliver(String event, String data) {
        TaskEvent parsed;
        try {
            JsonNode tree = Json.tree(data.getBytes(StandardCharsets.UTF_8));
            parsed = TaskEvent.parse(lastId, tree);
        } catch (IOException | RuntimeException e) {
            log.warn("Skipping an unreadable {} event at {}: {}", event, lastId, e.getMessage());
            return;
        }
        try {
            listener.accept(parsed);
        } catch (RuntimeException e) {
            log.warn("The events listener failed on event {}; going on with the next", lastId, e);
        }
    }

    /** The id of the last event (or position) received: where a new subscription could resume. */
    public String lastEventId() {
        return lastId;
    }

    /** Whether it still delivers (or reconnects to deliver) events. */
    public boolean isOpen() {
        return !closed;
    }

    /** Why it stopped on its own (the server refused to resume it), or {@code null}. */
    public TaskStateException failure() {
        return failure;
    }

    /** Stops delivering and disconnects; no event reaches the listener after this returns, unless from the listener's own thread. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        closeQuietly();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(Duration.ofSeconds(5).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeQuietly() {
        InputStream in = current;
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // already broken
            }
        }
    }
}
