package io.taskstate.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.client.internal.CommandChannel;
import io.taskstate.client.internal.DependencyWalk;
import io.taskstate.client.internal.HttpApi;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Heartbeat;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.Topic;
import java.net.URI;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * The Java client of taskstate. Writes are commands produced to Kafka; each write's future
 * completes when the app's reply arrives, so once it returns, a query sees the change
 * (read-your-writes). Queries go to the HTTP API. Every call has an asynchronous form returning a
 * {@link CompletableFuture} and a blocking form that throws a {@link TaskStateException}.
 *
 * <pre>{@code
 * try (TaskStateClient client = TaskStateClient.builder()
 *         .bootstrapServers("127.0.0.1:9092").baseUrl("http://127.0.0.1:8080").build()) {
 *     Task task = client.createTask(NewTask.titled("Process dataset A").priority(Priority.HIGH));
 *     client.updateTask(task.id(), TaskUpdate.of().status(TaskStatus.IN_PROGRESS).expect("status", "pending"));
 * }
 * }</pre>
 *
 * <p>Thread-safe; share one client per process.
 */
public final class TaskStateClient implements AutoCloseable {
    private final Builder settings;
    private volatile CommandChannel channel;
    private final HttpApi http;
    private final Duration timeout;
    private final DependencyWalk dependencyWalk;

    private TaskStateClient(Builder b) {
        this.timeout = b.timeout;
        this.settings = b;
        this.http = new HttpApi(URI.create(b.baseUrl.endsWith("/") ? b.baseUrl : b.baseUrl + "/"), b.timeout, b.token);
        this.dependencyWalk = new DependencyWalk(id -> getTaskAsync(id).handle((task, e) -> {
            if (e == null) {
                return Optional.of(task);
            }
            TaskStateException failed = failure(e, null);
            if (failed instanceof TaskStateException.NotFound) {
                return Optional.<Task>empty();
            }
            throw failed;
        }));
    }

    /** The command channel, connected to Kafka on the first write: a client that only reads never needs Kafka. */
    private CommandChannel commands() {
        CommandChannel c = channel;
        if (c == null) {
            synchronized (this) {
                c = channel;
                if (c == null) {
                    Map<String, Object> kafka = new HashMap<>(settings.kafka);
                    kafka.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers);
                    c = new CommandChannel(settings.clientId, settings.topicPrefix, kafka, settings.producer,
                            settings.replyConsumer);
                    channel = c;
                }
            }
        }
        return c;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String clientId() {
        return settings.clientId;
    }

    // ---- writes

    public CompletableFuture<Task> createTaskAsync(NewTask task) {
        return createTaskAsync(task, UUID.randomUUID().toString());
    }

    /** Creates a task under a caller-chosen command id: retrying with the same id creates it at most once. */
    public CompletableFuture<Task> createTaskAsync(NewTask task, String commandId) {
        Objects.requireNonNull(task, "task");
        return write(CommandType.CREATE_TASK, null, task.parentTaskId(), task.toPayload(), null, commandId)
                .thenApply(r -> Json.convert(r, Task.class));
    }

    public Task createTask(NewTask task) {
        return await(createTaskAsync(task));
    }

    public CompletableFuture<Task> updateTaskAsync(long id, TaskUpdate update) {
        return updateTaskAsync(id, update, UUID.randomUUID().toString());
    }

    public CompletableFuture<Task> updateTaskAsync(long id, TaskUpdate update, String commandId) {
        return write(CommandType.UPDATE_TASK, id, id, update.fields(), update.expectation(), commandId)
                .thenApply(r -> Json.convert(r, Task.class));
    }

    public Task updateTask(long id, TaskUpdate update) {
        return await(updateTaskAsync(id, update));
    }

    /**
     * Creates many tasks at once: every command is sent before any reply is awaited, so the batch
     * costs about one round trip. One result per task, in order; a refused task does not stop the others.
     */
    public List<BulkResult> createTasks(List<NewTask> tasks) {
        return awaitEach(tasks.stream().map(this::createTaskAsync).toList());
    }

    /** Applies many updates at once (task id to update, in the map's order), pipelined as {@link #createTasks}. */
    public List<BulkResult> updateTasks(Map<Long, TaskUpdate> updates) {
        return awaitEach(updates.entrySet().stream().map(e -> updateTaskAsync(e.getKey(), e.getValue())).toList());
    }

    private static List<BulkResult> awaitEach(List<CompletableFuture<Task>> sent) {
        List<BulkResult> results = new ArrayList<>();
        for (CompletableFuture<Task> f : sent) {
            try {
                results.add(new BulkResult(await(f), null));
            } catch (TaskStateException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                results.add(new BulkResult(null, e));
            }
        }
        return results;
    }

    public CompletableFuture<DeletedTasks> deleteTaskAsync(long id) {
        return deleteTaskAsync(id, UUID.randomUUID().toString());
    }

    public CompletableFuture<DeletedTasks> deleteTaskAsync(long id, String commandId) {
        return write(CommandType.DELETE_TASK, id, id, Json.object(), null, commandId)
                .thenApply(r -> Json.convert(r, DeletedTasks.class));
    }

    /** Deletes the task and every descendant. */
    public DeletedTasks deleteTask(long id) {
        return await(deleteTaskAsync(id));
    }

    // ---- claims

    /** Takes task {@code id} for {@code assignee} if it is pending; {@link TaskStateException.Conflict} says who holds it otherwise. */
    public CompletableFuture<Task> claimAsync(long id, String assignee, Duration lease) {
        return claimAsync(id, assignee, lease, UUID.randomUUID().toString());
    }

    /** Claims under a caller-chosen command id: a retry with the same id gets the first outcome, never a conflict with itself. */
    public CompletableFuture<Task> claimAsync(long id, String assignee, Duration lease, String commandId) {
        ObjectNode p = Json.object();
        p.put("assignee", assignee);
        if (lease != null) {
            p.put("lease_seconds", lease.toSeconds());
        }
        return taskCommand(CommandType.CLAIM_TASK, id, p, commandId);
    }

    public Task claim(long id, String assignee) {
        return await(claimAsync(id, assignee, null));
    }

    /** Claims under a lease: unless renewed (or heartbeated while it is the current task), the task goes back to pending. */
    public Task claim(long id, String assignee, Duration lease) {
        return await(claimAsync(id, assignee, lease));
    }

    /**
     * Takes the best pending task that {@code filter} allows, across all partitions: priority
     * critical first, then oldest. Empty when nothing is available.
     */
    public CompletableFuture<Optional<Task>> claimNextAsync(String assignee, ClaimFilter filter, Duration lease) {
        ObjectNode body = Json.object();
        body.put("assignee", assignee);
        body.set("filters", Json.MAPPER.valueToTree(filter == null ? ClaimFilter.ANY : filter));
        if (lease != null) {
            body.put("lease_seconds", lease.toSeconds());
        }
        return http.post("api/v1/tasks/claim", body).handle((answer, error) -> {
            if (error != null) {
                throw failure(error, null);
            }
            return Optional.ofNullable(answer).map(t -> Json.convert(t, Task.class));
        });
    }

    public Optional<Task> claimNext(String assignee, ClaimFilter filter) {
        return await(claimNextAsync(assignee, filter, null));
    }

    public Optional<Task> claimNext(String assignee, ClaimFilter filter, Duration lease) {
        return await(claimNextAsync(assignee, filter, lease));
    }

    /** The holder hands the task back to pending; {@code force} lets anyone. */
    public CompletableFuture<Task> releaseAsync(long id, String assignee, boolean force) {
        return releaseAsync(id, assignee, force, UUID.randomUUID().toString());
    }

    /** Releases under a caller-chosen command id: retrying with the same id releases at most once. */
    public CompletableFuture<Task> releaseAsync(long id, String assignee, boolean force, String commandId) {
        ObjectNode p = Json.object();
        p.put("assignee", assignee);
        if (force) {
            p.put("force", true);
        }
        return taskCommand(CommandType.RELEASE_TASK, id, p, commandId);
    }

    public Task release(long id, String assignee) {
        return await(releaseAsync(id, assignee, false));
    }

    /** The holder marks the task completed, merging {@code metadata} (may be null) into the task's. */
    public CompletableFuture<Task> completeAsync(long id, String assignee, Map<String, ?> metadata, boolean force) {
        return completeAsync(id, assignee, metadata, force, UUID.randomUUID().toString());
    }

    /** Completes under a caller-chosen command id: retrying with the same id completes (and merges) at most once. */
    public CompletableFuture<Task> completeAsync(long id, String assignee, Map<String, ?> metadata, boolean force,
                                                 String commandId) {
        ObjectNode p = Json.object();
        p.put("assignee", assignee);
        if (metadata != null) {
            p.set("metadata", Json.MAPPER.valueToTree(metadata));
        }
        if (force) {
            p.put("force", true);
        }
        return taskCommand(CommandType.COMPLETE_TASK, id, p, commandId);
    }

    public Task complete(long id, String assignee) {
        return await(completeAsync(id, assignee, null, false));
    }

    public Task complete(long id, String assignee, Map<String, ?> metadata) {
        return await(completeAsync(id, assignee, metadata, false));
    }

    /** Extends the holder's lease by its length. */
    public Task renewLease(long id, String assignee) {
        ObjectNode p = Json.object();
        p.put("assignee", assignee);
        return await(taskCommand(CommandType.RENEW_LEASE, id, p, UUID.randomUUID().toString()));
    }

    /**
     * Runs a worker loop in the background: heartbeats as {@code assignee}, claims the next task
     * {@code filter} allows, runs {@code handler} on it, then completes it, or releases it if the
     * handler throws. When nothing is available it asks again after {@code idle}. Close the
     * returned worker to stop after the current task.
     */
    public Worker work(String assignee, ClaimFilter filter, Duration idle, TaskHandler handler) {
        return new Worker(this, assignee, filter, idle, handler);
    }

    /** What a {@link Worker} does with each task it claims; throwing releases the task. */
    @FunctionalInterface
    public interface TaskHandler {
        /** Returns metadata to merge into the completed task (or null). */
        Map<String, ?> handle(Task task) throws Exception;
    }

    private CompletableFuture<Task> taskCommand(CommandType type, long id, ObjectNode payload, String commandId) {
        return write(type, id, id, payload, null, commandId).thenApply(r -> Json.convert(r, Task.class));
    }

    /**
     * Sends any command and returns the reply's result; the HTTP API and tools use this to pass
     * payloads through unchanged, so the processor alone decides what is valid.
     *
     * @param routingTaskId the task whose partition the command goes to (the parent, for a subtask's create)
     */
    public CompletableFuture<JsonNode> write(CommandType type, Long taskId, Long routingTaskId, ObjectNode payload,
                                             ObjectNode expect, String commandId) {
        if (settings.checkDependencies && payload != null && payload.has("depends_on")
                && (type == CommandType.CREATE_TASK || type == CommandType.UPDATE_TASK)) {
            // tasks of other partitions: their existence, and cycles through them, are checked here by reading them
            return dependencyWalk.problem(taskId, payload.get("depends_on")).handle((problem, e) -> {
                if (e != null) {
                    throw failure(e, commandId);
                }
                if (problem != null) {
                    throw new TaskStateException.Invalid(problem, commandId);
                }
                return send(type, taskId, routingTaskId, payload, expect, commandId);
            }).thenCompose(Function.identity());
        }
        return send(type, taskId, routingTaskId, payload, expect, commandId);
    }

    private CompletableFuture<JsonNode> send(CommandType type, Long taskId, Long routingTaskId, ObjectNode payload,
                                             ObjectNode expect, String commandId) {
        Command command = new Command(commandId, settings.clientId, type.wire(), taskId, payload, expect, Instant.now());
        return request(commandId, c -> c.send(command, c.partitionFor(routingTaskId, commandId), timeout));
    }

    /** Sends through the command channel and turns its reply into the result, or the typed failure. */
    private CompletableFuture<JsonNode> request(String commandId, Function<CommandChannel, CompletableFuture<Reply>> send) {
        CompletableFuture<Reply> sent;
        try {
            sent = send.apply(commands());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(failure(e, commandId));
        }
        return sent.handle((reply, error) -> {
            if (error != null) {
                throw failure(error, commandId);
            }
            return result(reply);
        });
    }

    // ---- instances

    /** Records a heartbeat and returns the instance; the first heartbeat creates it, {@code active}. */
    public CompletableFuture<Instance> heartbeatAsync(String instanceId) {
        String commandId = UUID.randomUUID().toString();
        String problem = Instance.idProblem(instanceId);
        if (problem != null) {
            return CompletableFuture.failedFuture(new TaskStateException.Invalid(problem, commandId));
        }
        return request(commandId, c -> c.heartbeat(new Heartbeat(instanceId, commandId, settings.clientId), timeout))
                .thenApply(r -> Json.convert(r, Instance.class));
    }

    public Instance heartbeat(String instanceId) {
        return await(heartbeatAsync(instanceId));
    }

    /** A fire-and-forget heartbeat: completes when the broker has it, without waiting for the app. */
    public CompletableFuture<Void> beat(String instanceId) {
        String problem = Instance.idProblem(instanceId);
        if (problem != null) {
            return CompletableFuture.failedFuture(new TaskStateException.Invalid(problem, null));
        }
        try {
            return commands().beat(instanceId);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(failure(e, null));
        }
    }

    /**
     * Heartbeats for {@code instanceId} every {@code interval} in the background, fire-and-forget,
     * until the returned handle is closed. Pick an interval well under the server's instance
     * timeout (default 5 minutes), e.g. a minute.
     */
    public Heartbeats startHeartbeats(String instanceId, Duration interval) {
        return new Heartbeats(instanceId, interval, this::beat);
    }

    /** Partially updates the instance (creating it if needed); counts as a heartbeat. */
    public CompletableFuture<Instance> setInstanceStateAsync(String instanceId, InstanceUpdate update) {
        ObjectNode payload = Json.object();
        payload.put("instance_id", instanceId);
        ObjectNode state = update.state();
        payload.set("state", state);
        JsonNode task = state.get("current_task_id");
        String commandId = UUID.randomUUID().toString();
        Command command = new Command(commandId, settings.clientId, CommandType.SET_INSTANCE_STATE.wire(), null, payload, null,
                Instant.now());
        boolean toTask = task != null && task.canConvertToLong() && task.asLong() > 0;
        return request(commandId, c -> c.send(command,
                toTask ? c.partitionFor(task.asLong(), commandId) : c.partitionOfInstance(instanceId), timeout))
                .thenApply(r -> Json.convert(r, Instance.class));
    }

    public Instance setInstanceState(String instanceId, InstanceUpdate update) {
        return await(setInstanceStateAsync(instanceId, update));
    }

    public CompletableFuture<Instance> getInstanceStateAsync(String instanceId) {
        return query("api/v1/instances/" + encode(instanceId), body -> Json.convert(body, Instance.class));
    }

    /** The instance, with {@code active} computed now; {@link TaskStateException.NotFound} if it never reported. */
    public Instance getInstanceState(String instanceId) {
        return await(getInstanceStateAsync(instanceId));
    }

    public CompletableFuture<List<Instance>> listInstancesAsync(boolean activeOnly) {
        return query("api/v1/instances" + (activeOnly ? "?active=true" : ""), body -> {
            List<Instance> instances = new ArrayList<>();
            body.path("instances").forEach(i -> instances.add(Json.convert(i, Instance.class)));
            return instances;
        });
    }

    /** Instances, most recent heartbeat first: only those heard from within the timeout, or all. */
    public List<Instance> listInstances(boolean activeOnly) {
        return await(listInstancesAsync(activeOnly));
    }

    // ---- queries

    public CompletableFuture<Task> getTaskAsync(long id) {
        return query("api/v1/tasks/" + id, body -> Json.convert(body, Task.class));
    }

    /** The task with its {@code subtask_ids}. */
    public Task getTask(long id) {
        return await(getTaskAsync(id));
    }

    /**
     * One page of task {@code id}'s history, oldest entry first: up to {@code limit} entries (1 to
     * 1000) after {@code cursor}, a previous page's {@code nextCursor} ({@code null}: from the oldest).
     * {@link TaskStateException.NotFound} if there is no such task.
     */
    public CompletableFuture<TaskHistoryPage> historyPageAsync(long id, int limit, String cursor) {
        return query("api/v1/tasks/" + id + "/history?limit=" + limit + (cursor == null ? "" : "&cursor=" + encode(cursor)),
                body -> Json.convert(body, TaskHistoryPage.class));
    }

    public TaskHistoryPage historyPage(long id, int limit, String cursor) {
        return await(historyPageAsync(id, limit, cursor));
    }

    /** Every entry the server keeps of task {@code id}'s history (the newest {@code TASKSTATE_HISTORY_LIMIT}), oldest first. */
    public CompletableFuture<List<TaskHistoryEntry>> historyAsync(long id) {
        return historyFrom(id, null, new ArrayList<>());
    }

    public List<TaskHistoryEntry> history(long id) {
        return await(historyAsync(id));
    }

    private CompletableFuture<List<TaskHistoryEntry>> historyFrom(long id, String cursor, List<TaskHistoryEntry> sofar) {
        return historyPageAsync(id, HISTORY_PAGE, cursor).thenCompose(page -> {
            sofar.addAll(page.entries());
            return page.nextCursor() == null ? CompletableFuture.completedFuture(List.copyOf(sofar))
                    : historyFrom(id, page.nextCursor(), sofar);
        });
    }

    private static final int HISTORY_PAGE = 1000;

    /** One page of matching tasks, newest first, starting at {@code cursor} ({@code null} for the first page). */
    public CompletableFuture<TaskPage> queryPageAsync(TaskQuery query, String cursor) {
        return query("api/v1/tasks?" + query.toQueryString(cursor), body -> {
            List<Task> tasks = new ArrayList<>();
            body.path("tasks").forEach(t -> tasks.add(Json.convert(t, Task.class)));
            JsonNode next = body.get("next_cursor");
            return new TaskPage(tasks, next == null || next.isNull() ? null : next.asText());
        });
    }

    public TaskPage queryPage(TaskQuery query, String cursor) {
        return await(queryPageAsync(query, cursor));
    }

    /**
     * Every task {@code query} matches, in its order, as {@code ndjson} (one task JSON per line) or
     * {@code csv} (a header row, then one task per row), streamed by the server as it reads: read the
     * stream as it comes and close it. The query's page size does not apply.
     */
    public InputStream exportTasks(TaskQuery query, String format) {
        String params = String.join("&", query.filterParams());
        String path = "api/v1/tasks/export?format=" + java.net.URLEncoder.encode(format, java.nio.charset.StandardCharsets.UTF_8)
                + (params.isEmpty() ? "" : "&" + params);
        try {
            return http.stream(path, "*/*", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(e, null);
        } catch (IOException | RuntimeException e) {
            throw failure(e, null);
        }
    }

    /** Task counts by status, priority and assignee over every partition, and the oldest pending task. */
    public CompletableFuture<TaskStats> statsAsync() {
        return query("api/v1/stats", body -> Json.convert(body, TaskStats.class));
    }

    public TaskStats stats() {
        return await(statsAsync());
    }

    /** Every matching task, newest first, fetched a page at a time as the stream is consumed. */
    public Stream<Task> queryTasks(TaskQuery query) {
        Iterator<Task> pages = new Iterator<>() {
            private TaskPage page = queryPage(query, null);
            private int next;

            @Override
            public boolean hasNext() {
                while (next >= page.tasks().size() && page.nextCursor() != null) {
                    page = queryPage(query, page.nextCursor());
                    next = 0;
                }
                return next < page.tasks().size();
            }

            @Override
            public Task next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return page.tasks().get(next++);
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(pages, 0), false);
    }

    // ---- live updates

    /**
     * Delivers every change matching {@code filter} to {@code listener}, from now on, until the
     * returned subscription is closed; reconnects by itself after a broken connection, resuming
     * where it left off. Returns once the stream is positioned: every change committed after that
     * is delivered, in order for each task.
     *
     * @throws TaskStateException.Invalid when the server refuses the filter
     */
    public Subscription subscribe(EventFilter filter, java.util.function.Consumer<TaskEvent> listener) {
        return Subscription.open(http, filter, null, listener);
    }

    /**
     * Like {@link #subscribe(EventFilter, java.util.function.Consumer)}, but delivers the changes
     * after {@code afterEventId} first: the {@link TaskEvent#id()} (or {@link Subscription#lastEventId()})
     * a listener kept, so a coordinator that restarts misses nothing within the server's retention.
     */
    public Subscription subscribe(EventFilter filter, String afterEventId, java.util.function.Consumer<TaskEvent> listener) {
        return Subscription.open(http, filter, afterEventId, listener);
    }

    @Override
    public void close() {
        CommandChannel c = channel;
        if (c != null) {
            c.close();
        }
    }

    private static String encode(String pathSegment) {
        return java.net.URLEncoder.encode(pathSegment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    private <T> CompletableFuture<T> query(String path, Function<JsonNode, T> convert) {
        return http.get(path).handle((body, error) -> {
            if (error != null) {
                throw failure(error, null);
            }
            return convert.apply(body);
        });
    }

    private static JsonNode result(Reply reply) {
        return switch (reply.outcome()) {
            case OK -> reply.result();
            case NOT_FOUND -> throw new TaskStateException.NotFound(reply.message(), reply.commandId());
            case INVALID -> throw new TaskStateException.Invalid(reply.message(), reply.commandId());
            case CONFLICT -> throw new TaskStateException.Conflict(reply.message(), reply.commandId());
        };
    }

    private TaskStateException failure(Throwable error, String commandId) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TaskStateException e) {
            return e;
        }
        if (cause instanceof TimeoutException) {
            return new TaskStateException.Timeout("No reply to command " + commandId + " within " + timeout
                    + "; it may still be applied: retry with the same command id", commandId, cause);
        }
        if (cause instanceof HttpApi.Problem p) {
            return switch (p.status()) {
                case 404 -> new TaskStateException.NotFound(p.getMessage(), commandId);
                case 400, 413, 415 -> new TaskStateException.Invalid(p.getMessage(), commandId);
                case 409 -> new TaskStateException.Conflict(p.getMessage(), commandId);
                case 503 -> new TaskStateException.Unavailable(p.getMessage(), p);
                case 504 -> new TaskStateException.Timeout(p.getMessage(), commandId, p);
                default -> new TaskStateException("HTTP " + p.status() + ": " + p.getMessage(), commandId, p);
            };
        }
        return new TaskStateException(commandId == null ? "Query failed: " + cause.getMessage()
                : "Command " + commandId + " failed: " + cause.getMessage(), commandId, cause);
    }

    /** Waits for {@code future}, unwrapping its failure; an interrupted wait restores the interrupt flag. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskStateException("Interrupted while waiting", null, e);
        } catch (ExecutionException | CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof TaskStateException t) {
                throw t;
            }
            throw new TaskStateException(cause.getMessage(), null, cause);
        }
    }

    /** Settings of a {@link TaskStateClient}. */
    public static final class Builder {
        private String bootstrapServers = "127.0.0.1:9092";
        private String baseUrl = "http://127.0.0.1:8080";
        private String clientId = "sdk-" + UUID.randomUUID();
        private String topicPrefix = Topic.DEFAULT_PREFIX;
        private Duration timeout = Duration.ofSeconds(10);
        private String token;
        private final Map<String, Object> kafka = new HashMap<>();
        private Producer<String, byte[]> producer;
        private Consumer<String, byte[]> replyConsumer;
        private boolean checkDependencies = true;

        private Builder() {
        }

        /**
         * Whether a create or update with {@code depends_on} first reads the graph over HTTP to refuse
         * tasks that do not exist and cycles across partitions (default true). The HTTP API turns it off
         * for its own writer, which checks through its query layer instead.
         */
        public Builder checkDependencies(boolean check) {
            this.checkDependencies = check;
            return this;
        }

        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = Objects.requireNonNull(servers);
            return this;
        }

        /** Where the HTTP API answers queries, e.g. {@code http://127.0.0.1:8080}. */
        public Builder baseUrl(String url) {
            this.baseUrl = Objects.requireNonNull(url);
            return this;
        }

        /**
         * The bearer token sent with every HTTP request (queries and claim-next), for a server
         * started with {@code TASKSTATE_API_TOKENS}: a read token for queries only, a write token
         * for claims. {@code null} (the default) sends none. Writes go to Kafka and are secured by
         * Kafka's own settings (see {@link #kafkaProperty}).
         */
        public Builder token(String token) {
            if (token != null && token.isBlank()) {
                throw new IllegalArgumentException("token must not be blank: pass null to send none");
            }
            this.token = token == null ? null : token.strip();
            return this;
        }

        /** Names this client's replies; unique per running client. */
        public Builder clientId(String id) {
            this.clientId = Objects.requireNonNull(id);
            return this;
        }

        public Builder topicPrefix(String prefix) {
            this.topicPrefix = Objects.requireNonNull(prefix);
            return this;
        }

        /** How long a call waits for its reply or answer. */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Any Kafka client setting (security, SASL, TLS), applied to the producer and the reply consumer. */
        public Builder kafkaProperty(String name, Object value) {
            kafka.put(name, value);
            return this;
        }

        public Builder kafkaProperties(Map<String, ?> properties) {
            kafka.putAll(properties);
            return this;
        }

        /** Uses this producer for commands instead of building one (for tests with {@code MockProducer}). */
        public Builder producer(Producer<String, byte[]> producer) {
            this.producer = producer;
            return this;
        }

        /** Uses this consumer for replies instead of building one: for unit tests with {@code MockConsumer}. */
        Builder replyConsumer(Consumer<String, byte[]> consumer) {
            this.replyConsumer = consumer;
            return this;
        }

        public TaskStateClient build() {
            return new TaskStateClient(this);
        }
    }
}
