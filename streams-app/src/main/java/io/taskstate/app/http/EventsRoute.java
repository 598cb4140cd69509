package io.taskstate.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.taskstate.app.events.EventFeed;
import io.taskstate.app.events.EventPosition;
import io.taskstate.protocol.InstanceStatus;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.TaskStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code GET /api/v1/events}: every change of a task or instance as Server-Sent Events, optionally
 * filtered. A stream that starts from now joins the one feed this instance shares between such
 * streams; a stream that resumes ({@code Last-Event-ID}) reads with a feed of its own, from that
 * position, for as long as it lasts. Each open stream holds one HTTP thread, so at most
 * {@link #MAX_STREAMS} are open at once; more are refused with 503.
 *
 * <p>Frames: {@code id: <position>} first (no data: it positions the client), then per change
 * {@code id}, {@code event: task|instance}, {@code data: <event JSON>}; an {@code event: lost} when
 * the position to resume from was older than the retention; a comment every {@link #KEEP_ALIVE}
 * when nothing else was sent (with the {@code id} of events the filter held back, if any).
 */
final class EventsRoute implements AutoCloseable {
    static final String PATH = "/api/v1/events";
    static final String LAST_EVENT_ID = "Last-Event-ID";
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    static final int MAX_STREAMS = 100;
    /** Events queued for one stream; a client that falls this far behind is cut off, and resumes where it was. */
    static final int QUEUE = 10_000;
    private static final Set<String> PARAMS = Set.of("type", "status", "assignee", "parent_task_id", "last_event_id", "access_token");
    private static final Set<String> TYPES = Set.of("task", "instance");

    private final Map<String, Object> kafka;
    private final String topic;
    private final int partitions;
    private final Set<EventFeed> feeds = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private EventFeed shared; // guarded by this
    private volatile boolean closed;

    /** @param kafka the consumer settings (bootstrap servers, security) to read {@code topic} with */
    EventsRoute(Map<String, Object> kafka, String topic, int partitions) {
        this.kafka = Map.copyOf(kafka);
        this.topic = topic;
        this.partitions = partitions;
    }

    /** Which events a stream sends; a {@code null} part matches all. */
    record Filter(Set<String> types, Set<String> statuses, String assignee, Long parentTaskId) {
        static Filter of(Context ctx) {
            for (String name : ctx.queryParamMap().keySet()) {
                if (!PARAMS.contains(name)) {
                    throw ApiException.badRequest("Unknown query parameter: " + ApiServer.shorten(name)
                            + ". Known: type, status, assignee, parent_task_id, last_event_id, access_token");
                }
            }
            Set<String> types = list(ctx, "type");
            if (types != null && !TYPES.containsAll(types)) {
                throw ApiException.badRequest("Invalid type. Must be task or instance (or both, comma-separated)");
            }
            Set<String> statuses = list(ctx, "status");
            if (statuses != null) {
                Set<String> valid = new LinkedHashSet<>();
                if (types == null || types.contains("task")) {
                    Arrays.stream(TaskStatus.values()).forEach(s -> valid.add(s.wire()));
                }
                if (types == null || types.contains("instance")) {
                    Arrays.stream(InstanceStatus.values()).forEach(s -> valid.add(s.wire()));
                }
                if (!valid.containsAll(statuses)) {
                    throw ApiException.badRequest("Invalid status. Must be one or more (comma-separated) of: " + String.join(", ", valid));
                }
            }
            String assignee = ctx.queryParam("assignee");
            if (assignee != null && assignee.isBlank()) {
                throw ApiException.badRequest("assignee must not be empty: name a worker, or leave it out");
            }
            String parent = ctx.queryParam("parent_task_id");
            Long parentTaskId = null;
            if (parent != null) {
                try {
                    parentTaskId = Long.parseLong(parent);
                } catch (NumberFormatException e) {
                    throw ApiException.badRequest("parent_task_id must be an integer task id, got '" + ApiServer.shorten(parent) + "'");
                }
            }
            return new Filter(types, statuses, assignee, parentTaskId);
        }

        private static Set<String> list(Context ctx, String name) {
            String value = ctx.queryParam(name);
            return value == null ? null : Stream.of(value.split(",")).map(String::strip).collect(Collectors.toSet());
        }

        /**
         * Whether the event passes: by type; by the {@code status} of its task or instance; by
         * {@code assignee} (a task's assignee, or an instance's own id); by {@code parent_task_id}
         * (tasks only). A deleted task is judged by its last snapshot.
         */
        boolean matches(EventFeed.Event event) {
            if (types != null && !types.contains(event.type())) {
                return false;
            }
            JsonNode entity = event.value().path(event.type());
            if (statuses != null && !statuses.contains(entity.path("status").asText())) {
                return false;
            }
            boolean task = event.type().equals("task");
            if (assignee != null && !assignee.equals(entity.path(task ? "assignee" : "instance_id").asText(null))) {
                return false;
            }
            return parentTaskId == null || (task && entity.path("parent_task_id").asLong(0) == parentTaskId);
        }
    }

    void handle(Context ctx) throws IOException {
        Filter filter = Filter.of(ctx);
        String lastId = ctx.header(LAST_EVENT_ID) != null ? ctx.header(LAST_EVENT_ID) : ctx.queryParam("last_event_id");
        EventPosition resumeAt = null;
        if (lastId != null && !lastId.isBlank()) {
            try {
                resumeAt = EventPosition.parse(lastId, partitions);
            } catch (IllegalArgumentException e) {
                throw badPosition(lastId, e);
            }
        }
        if (closed) {
            throw new ApiException(503, "This instance is stopping; connect to another");
        }
        if (open.incrementAndGet() > MAX_STREAMS) {
            open.decrementAndGet();
            ctx.header("Retry-After", "5");
            throw new ApiException(503, "This instance already serves " + MAX_STREAMS + " event streams; retry later or use another instance");
        }
        try {
            stream(ctx, filter, lastId, resumeAt);
        } finally {
            open.decrementAndGet();
        }
    }

    private static ApiException badPosition(String lastId, IllegalArgumentException e) {
        return ApiException.badRequest("Last-Event-ID '" + ApiServer.shorten(lastId) + "' is not a position of this stream ("
                + e.getMessage() + "): send back an id this stream sent, or leave it out to start from now");
    }

    private void stream(Context ctx, Filter filter, String lastId, EventPosition resumeAt) throws IOException {
        Queue queue = new Queue();
        EventFeed feed;
        boolean own = resumeAt != null;
        try {
            feed = own ? EventFeed.from(kafka, topic, partitions, resumeAt) : shared();
        } catch (IllegalArgumentException e) {
            throw badPosition(lastId, e);
        } catch (org.apache.kafka.common.KafkaException e) {
            ctx.header("Retry-After", "1");
            throw new ApiException(503, "The events topic cannot be read right now (" + e.getMessage() + "); retry shortly");
        }
        if (own) {
            feeds.add(feed);
        }
        EventPosition start;
        try {
            start = feed.join(queue);
        } catch (IllegalStateException e) {
            ctx.header("Retry-After", "1");
            throw new ApiException(503, "Reading the events topic failed just now; retry shortly");
        }
        try {
            ctx.res().setStatus(200);
            ctx.res().setCharacterEncoding("UTF-8");
            ctx.res().setContentType("text/event-stream");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no");
            OutputStream out = ctx.res().getOutputStream();
            String lastSent = start.toString();
            write(out, "retry: 1000\nid: " + lastSent + "\n\n");
            if (feed.lost() != null) {
                write(out, "id: " + lastSent + "\nevent: lost\ndata: " + Json.string(Map.of("type", "lost", "detail", feed.lost())) + "\n\n");
            }
            out.flush();
            String lastSeen = lastSent;
            while (!closed) {
                EventFeed.Event event = queue.events.poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
                if (event == Queue.END) {
                    break;
                }
                if (event == null) {
                    // also how a client learns the position past events the filter held back
                    write(out, lastSeen.equals(lastSent) ? ":keep-alive\n\n" : ":keep-alive\nid: " + lastSeen + "\n\n");
                    lastSent = lastSeen;
                    out.flush();
                    continue;
                }
                lastSeen = event.id();
                if (filter.matches(event)) {
                    write(out, "id: " + event.id() + "\nevent: " + event.type() + "\ndata: ");
                    out.write(event.json());
                    write(out, "\n\n");
                    lastSent = lastSeen;
                }
                if (queue.events.isEmpty()) {
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away
        } finally {
            feed.leave(queue);
            if (own) {
                feeds.remove(feed);
                feed.close();
            }
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The feed shared by streams that start from now, started at the first; again if the last one ended. */
    private synchronized EventFeed shared() {
        if (shared == null || shared.ended()) {
            shared = EventFeed.fromEnd(kafka, topic, partitions);
        }
        return shared;
    }

    /** Ends every stream, so that stopping the server need not wait for them. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            if (shared != null) {
                shared.close();
            }
        }
        feeds.forEach(EventFeed::close);
    }

    /** One stream's events, between the feed's thread and the stream's. */
    private static final class Queue implements EventFeed.Subscriber {
        static final EventFeed.Event END = new EventFeed.Event("", "", null, new byte[0]);
        final BlockingQueue<EventFeed.Event> events = new ArrayBlockingQueue<>(QUEUE + 1);

        @Override
        public boolean offer(EventFeed.Event event) {
            return events.size() < QUEUE && events.offer(event);
        }

        @Override
        public void end() {
            events.clear();
            events.offer(END);
        }
    }
}
