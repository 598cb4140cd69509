package io.taskstate.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import io.taskstate.app.query.Cursor;
import io.taskstate.app.query.NotQueryableException;
import io.taskstate.app.query.Restorations;
import io.taskstate.app.query.TaskFilter;
import io.taskstate.app.query.TaskQueries;
import io.taskstate.client.InstanceUpdate;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.internal.HttpApi;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskSort;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The HTTP API under {@code /api/v1}. Writes go through the same command path as the SDK; reads
 * go to the interactive-query layer, forwarded to the owning instance for a key, fanned out to
 * every instance for a filtered query. Routes are all declared in {@link #routes}.
 */
public final class ApiServer implements AutoCloseable {
    /** On an answer read from a copy that may be behind: {@code true}. */
    public static final String STALE_HEADER = "Taskstate-Stale";
    /** On such an answer: how many changelog records the copy was behind. */
    public static final String STALE_LAG_HEADER = "Taskstate-Stale-Lag";
    /** Where MCP's Streamable HTTP transport answers. */
    public static final String MCP_PATH = "/mcp";
    /** Largest request body accepted when none is configured ({@code TASKSTATE_MAX_BODY_BYTES}). */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** How long {@link #close} waits for the requests in flight to be answered before it cuts them off. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    /** Where the metrics answer, in Prometheus text format. */
    public static final String METRICS_PATH = "/metrics";
    /** The HTTP request timer, tagged by method, route pattern ({@code uri}) and status. */
    public static final String REQUESTS_METRIC = "taskstate.http.requests";
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Javalin app;
    private final PrometheusMeterRegistry metrics;
    private final TaskStateClient writer;
    private final Duration forwardTimeout;
    private final String peerToken;
    private final long maxBodyBytes;
    private final Map<HostInfo, HttpApi> peers = new ConcurrentHashMap<>();
    private final ClaimNext claimNext;
    private final DependencyPrecheck dependencies = new DependencyPrecheck(this::queries, this::peer);
    private final HttpServletStreamableServerTransportProvider mcpTransport;
    private final GracefulHandler inFlight = new GracefulHandler();
    private volatile TaskQueries queries;
    private volatile EventsRoute events;
    private volatile Supplier<KafkaStreams.State> streamsState = () -> KafkaStreams.State.CREATED;
    private volatile Supplier<java.util.Optional<Restorations.Progress>> restoreProgress = java.util.Optional::empty;

    public ApiServer(String host, int port, TaskStateClient writer, Duration forwardTimeout) {
        this(host, port, writer, forwardTimeout, ApiTokens.NONE, DEFAULT_MAX_BODY_BYTES);
    }

    /**
     * @param tokens       bearer tokens requests must carry ({@link ApiTokens#NONE}: open); calls to other
     *                     instances carry {@link ApiTokens#instanceToken()}
     * @param maxBodyBytes larger request bodies are refused with 413 and never parsed, on every route and MCP
     */
    public ApiServer(String host, int port, TaskStateClient writer, Duration forwardTimeout, ApiTokens tokens, long maxBodyBytes) {
        this(host, port, writer, forwardTimeout, tokens, maxBodyBytes, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false);
    }

    /**
     * @param maxBodyBytes        larger request bodies are refused with 413 and never parsed, on every route and MCP
     * @param metrics             served at {@link #METRICS_PATH}; HTTP request timers ({@value #REQUESTS_METRIC}) go in it too
     * @param metricsNeedToken    whether {@link #METRICS_PATH} needs a read token when tokens are configured (else it is open)
     */
    public ApiServer(String host, int port, TaskStateClient writer, Duration forwardTimeout, ApiTokens tokens, long maxBodyBytes,
                     PrometheusMeterRegistry metrics, boolean metricsNeedToken) {
        this.writer = writer;
        this.metrics = metrics;
        this.forwardTimeout = forwardTimeout;
        this.peerToken = tokens.instanceToken().orElse(null);
        this.maxBodyBytes = maxBodyBytes;
        Auth auth = new Auth(tokens, metricsNeedToken);
        this.claimNext = new ClaimNext(writer, (peerHost, filter) -> {
            ObjectNode body = Json.object();
            body.set("filters", Json.MAPPER.valueToTree(filter));
            return peer(peerHost).post("internal/v1/tasks/claimable", body).thenApply(b -> slice(b, "tasks", Task.class));
        });
        this.mcpTransport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(new McpErrorMapper(McpJsonDefaults.getMapper())).mcpEndpoint(MCP_PATH).build();
        this.app = Javalin.create(config -> {
            config.jetty.modifyServletContextHandler(handler -> {
                ServletHolder mcp = new ServletHolder("mcp", mcpTransport);
                mcp.setAsyncSupported(true);
                handler.addServlet(mcp, MCP_PATH);
                FilterHolder mcpAuth = new FilterHolder(auth.mcpFilter());
                mcpAuth.setAsyncSupported(true);
                handler.addFilter(mcpAuth, MCP_PATH, EnumSet.of(DispatcherType.REQUEST));
                handler.addFilter(new FilterHolder(new McpRequestFilter(maxBodyBytes, tooLarge(), mcpTransport.protocolVersions())), MCP_PATH,
                        EnumSet.of(DispatcherType.REQUEST));
                // before any servlet reads: a chunked body is cut at the limit, and (outermost) a Content-Length
                // over it refused with a 413 the client can read
                handler.insertHandler(new SizeLimitHandler(maxBodyBytes, -1));
                handler.insertHandler(new OversizeBodyHandler(maxBodyBytes, tooLarge()));
            });
            // stop() first stops accepting connections, then waits for the requests in flight (Jetty's
            // default stop timeout of 0 cut them off), then closes. Meanwhile idle keep-alive connections,
            // and uploads silent for a second, are closed (Jetty's shutdown idle timeout).
            config.jetty.modifyServer(server -> {
                server.insertHandler(inFlight);
                server.setStopTimeout(STOP_TIMEOUT.toMillis());
                server.setErrorHandler(new ProblemErrorHandler(tooLarge()));
            });
            config.jetty.host = host;
            config.jetty.port = port;
            config.http.maxRequestSize = maxBodyBytes;
            config.startup.showJavalinBanner = false;
            config.routes.beforeMatched(auth::check);
            config.requestLogger.http(this::timeRequest);
            routes(config.routes);
        });
    }

    private void routes(io.javalin.config.RoutesConfig r) {
        // The whole body (at most the limit) is read before any answer, even one that does not need it (a
        // bad id, no such route): answered early, Jetty would drop the connection with the body half unread.
        r.before(Context::bodyAsBytes);
        r.post("/api/v1/tasks", this::createTask);
        r.get("/api/v1/tasks", this::queryTasks);
        // before /api/v1/tasks/{id}, which would take "bulk" and "export" for ids
        new BulkRoutes(writer).register(r);
        new ExportRoute(this).register(r);
        new StatsRoutes(this).register(r);
        r.get("/api/v1/tasks/{id}", this::getTask);
        TaskHistoryRoutes history = new TaskHistoryRoutes(this::queries, this::peer);
        r.get("/api/v1/tasks/{id}/history", history::history);
        r.post("/api/v1/tasks/claim", this::claimNext);
        r.post("/api/v1/tasks/{id}/claim", ctx -> taskCommand(ctx, CommandType.CLAIM_TASK));
        r.post("/api/v1/tasks/{id}/release", ctx -> taskCommand(ctx, CommandType.RELEASE_TASK));
        r.post("/api/v1/tasks/{id}/complete", ctx -> taskCommand(ctx, CommandType.COMPLETE_TASK));
        r.post("/api/v1/tasks/{id}/renew", ctx -> taskCommand(ctx, CommandType.RENEW_LEASE));
        r.patch("/api/v1/tasks/{id}", this::updateTask);
        r.delete("/api/v1/tasks/{id}", this::deleteTask);

        r.post("/api/v1/instances/{id}/heartbeat", this::heartbeat);
        r.put("/api/v1/instances/{id}/state", this::setInstanceState);
        r.get("/api/v1/instances/{id}", this::getInstance);
        r.get("/api/v1/instances", this::listInstances);

        r.get(EventsRoute.PATH, ctx -> events().handle(ctx));

        r.get("/api/v1/admin/check", this::check);
        r.get("/internal/v1/check", this::localCheck);
        r.get("/internal/v1/tasks", this::localQuery);
        r.post("/internal/v1/tasks/claimable", this::localClaimable);
        r.get("/internal/v1/instances", this::localInstances);
        r.get("/internal/v1/instances/{id}", this::localInstance);
        r.get("/internal/v1/tasks/{id}", this::localTask);
        r.get("/internal/v1/tasks/{id}/history", history::local);

        r.get("/health/live", ctx -> json(ctx, 200, Map.of("status", "live")));
        r.get("/health/ready", this::ready);
        r.get(METRICS_PATH, ctx -> ctx.contentType(PROMETHEUS_TEXT).result(metrics.scrape(PROMETHEUS_TEXT)));
        new ApiDescription().register(r);
        new Dashboard().register(r);

        r.exception(Exception.class, (e, ctx) -> Problems.respond(ctx, e));
        // a chunked body is cut at the limit while it is read
        r.exception(org.eclipse.jetty.http.HttpException.RuntimeException.class, (e, ctx) -> Problems.write(ctx, e.getCode(),
                e.getCode() == 413 ? tooLarge() : "The request could not be read: " + e.getReason(), null));
        // Answers Javalin and Jetty produce themselves (no route, wrong method, body too large) become problem details too.
        for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
            r.error(status, ctx -> {
                if (!Problems.CONTENT_TYPE.equals(ctx.res().getContentType())) {
                    Problems.write(ctx, status, switch (status) {
                        case 404 -> "No route for " + ctx.method() + " " + ctx.path() + "; see the README for the API";
                        case 405 -> "Method " + ctx.method() + " is not allowed on " + ctx.path();
                        case 413 -> tooLarge();
                        default -> "The request could not be handled: " + ctx.status().getMessage();
                    }, null);
                }
            });
        }
    }

    private String tooLarge() {
        return "The request body is larger than the limit of " + maxBodyBytes + " bytes (TASKSTATE_MAX_BODY_BYTES): send less";
    }

    /** Starts listening; returns the bound port (useful with port 0). */
    public int start() {
        app.start();
        return app.port();
    }

    /** The Streamable HTTP transport mounted at {@link #MCP_PATH}; an MCP server attaches to it after start. */
    public HttpServletStreamableServerTransportProvider mcpTransport() {
        return mcpTransport;
    }

    /** Connects the query layer once Kafka Streams exists; until then reads answer 503. */
    public void attach(TaskQueries queries, Supplier<KafkaStreams.State> state) {
        this.queries = queries;
        this.streamsState = state;
    }

    /**
     * Serves the live updates stream ({@code GET /api/v1/events}) from {@code topic}, read with the
     * consumer settings {@code kafka}; until then it answers 503.
     */
    public void attachEvents(Map<String, Object> kafka, String topic, int partitions) {
        this.events = new EventsRoute(kafka, topic, partitions);
    }

    private EventsRoute events() {
        EventsRoute e = events;
        if (e == null) {
            throw new ApiException(503, "The events stream is not ready yet; retry shortly");
        }
        return e;
    }

    /** Every HTTP route registered, as {@code "METHOD /path/{param}"}: what the API description must cover. */
    List<String> routes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream().map(p -> p.endpoint)
                .filter(e -> e.method.isHttpMethod()).map(e -> e.method.name() + " " + e.path).toList();
    }

    /** While stores are restored, {@code /health/ready} shows how far along that is. */
    public void reportRestores(Restorations restorations) {
        this.restoreProgress = restorations::progress;
    }

    /** Requests being handled right now. */
    public long requestsInFlight() {
        return inFlight.getCurrentRequestCount();
    }

    /** Stops accepting connections, answers the requests in flight (up to {@link #STOP_TIMEOUT}), then stops. */
    @Override
    public void close() {
        EventsRoute e = events;
        if (e != null) {
            e.close(); // open streams end at once, so stopping does not wait them out
        }
        app.stop();
    }

    // ---- writes

    private void createTask(Context ctx) {
        ObjectNode body = jsonBody(ctx);
        JsonNode parent = body.get("parent_task_id");
        Long routing = parent != null && parent.isIntegralNumber() && parent.canConvertToLong() && parent.asLong() > 0
                ? parent.asLong() : null;
        String commandId = commandId(ctx);
        respond(ctx, dependencies.check(null, body).thenCompose(checked ->
                writer.write(CommandType.CREATE_TASK, null, routing, body, null, commandId)), result -> {
            ctx.header("Location", "/api/v1/tasks/" + result.path("id").asLong());
            json(ctx, 201, result);
        });
    }

    private void updateTask(Context ctx) {
        long id = taskId(ctx);
        ObjectNode body = jsonBody(ctx);
        JsonNode expect = body.remove("expect");
        if (expect != null && !expect.isNull() && !expect.isObject()) {
            throw ApiException.badRequest("expect must be a JSON object of field values, e.g. {\"status\": \"pending\"}");
        }
        String commandId = commandId(ctx);
        respond(ctx, dependencies.check(id, body).thenCompose(checked -> writer.write(CommandType.UPDATE_TASK, id, id, body,
                expect == null || expect.isNull() ? null : (ObjectNode) expect, commandId)), result -> json(ctx, 200, result));
    }

    private void deleteTask(Context ctx) {
        long id = taskId(ctx);
        respond(ctx, writer.write(CommandType.DELETE_TASK, id, id, Json.object(), null, commandId(ctx)),
                result -> json(ctx, 200, result));
    }

    /** Claim, release, complete and renew: the body is the command's payload, checked by the processor. */
    private void taskCommand(Context ctx, CommandType type) {
        long id = taskId(ctx);
        respond(ctx, writer.write(type, id, id, jsonBody(ctx), null, commandId(ctx)), result -> json(ctx, 200, result));
    }

    private void claimNext(Context ctx) {
        ObjectNode body = jsonBody(ctx);
        for (String name : (Iterable<String>) body::fieldNames) {
            if (!Set.of("assignee", "lease_seconds", "filters").contains(name)) {
                throw ApiException.badRequest("Invalid field: " + shorten(name) + ". Allowed: assignee, lease_seconds, filters");
            }
        }
        ClaimFilter filter = claimFilter(body.get("filters"));
        ObjectNode claim = Json.object();
        claim.set("assignee", body.get("assignee"));
        if (body.has("lease_seconds")) {
            claim.set("lease_seconds", body.get("lease_seconds"));
        }
        if (!claim.path("assignee").isTextual() || claim.path("assignee").asText().isBlank()) {
            throw ApiException.badRequest("assignee is required: give the name of the worker (its instance id)");
        }
        respond(ctx, claimNext.claim(queries(), filter, claim, commandId(ctx)), won -> {
            if (won.isPresent()) {
                json(ctx, 200, won.get());
            } else {
                ctx.status(204);
            }
        });
    }

    private void localClaimable(Context ctx) {
        ObjectNode body = jsonBody(ctx);
        for (String name : (Iterable<String>) body::fieldNames) {
            if (!name.equals("filters")) {
                throw ApiException.badRequest("Invalid field: " + shorten(name) + ". Allowed: filters");
            }
        }
        TaskQueries.Slice<Task> slice = queries().claimable(claimFilter(body.get("filters")), ClaimNext.CANDIDATES);
        ObjectNode answer = page(slice.items(), Integer.MAX_VALUE);
        ArrayNode partitions = answer.putArray("partitions");
        slice.partitions().forEach(partitions::add);
        json(ctx, 200, answer);
    }

    private static final Set<String> CLAIM_FILTERS = Set.of("priority", "unassigned_only", "parent_task_id", "title_contains", "metadata");

    private static ClaimFilter claimFilter(JsonNode filters) {
        if (filters == null || filters.isNull()) {
            return ClaimFilter.ANY;
        }
        if (!filters.isObject()) {
            throw ApiException.badRequest("filters must be a JSON object of " + String.join(", ", CLAIM_FILTERS.stream().sorted().toList()));
        }
        for (String name : (Iterable<String>) filters::fieldNames) {
            if (!CLAIM_FILTERS.contains(name)) {
                throw ApiException.badRequest("Invalid filter: " + shorten(name) + ". Allowed: " + String.join(", ", CLAIM_FILTERS.stream().sorted().toList()));
            }
        }
        JsonNode priority = filters.get("priority");
        if (priority != null && !priority.isNull() && (!priority.isTextual() || Priority.parse(priority.asText()).isEmpty())) {
            throw ApiException.badRequest("Invalid priority. Must be one of: " + Priority.VALID);
        }
        JsonNode metadata = filters.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw ApiException.badRequest("filters.metadata must be a JSON object of field values");
        }
        JsonNode parent = filters.get("parent_task_id");
        if (parent != null && !parent.isNull() && !(parent.isIntegralNumber() && parent.canConvertToLong())) {
            throw ApiException.badRequest("filters.parent_task_id must be an integer task id");
        }
        JsonNode unassigned = filters.get("unassigned_only");
        if (unassigned != null && !unassigned.isNull() && !unassigned.isBoolean()) {
            throw ApiException.badRequest("filters.unassigned_only must be true or false");
        }
        JsonNode title = filters.get("title_contains");
        if (title != null && !title.isNull() && !title.isTextual()) {
            throw ApiException.badRequest("filters.title_contains must be a string");
        }
        return Json.convert(filters, ClaimFilter.class);
    }

    private void heartbeat(Context ctx) {
        String id = instanceId(ctx);
        commandId(ctx); // checked as on every write, though a heartbeat is applied however often it is sent
        if (ctx.bodyAsBytes().length > 0 && !jsonBody(ctx).isEmpty()) {
            throw ApiException.badRequest("A heartbeat takes no fields: send no body or {}");
        }
        respond(ctx, writer.heartbeatAsync(id), instance -> json(ctx, 200, instance));
    }

    private void setInstanceState(Context ctx) {
        String id = instanceId(ctx);
        commandId(ctx); // checked as on every write; the state is applied however often it is sent
        InstanceUpdate update = InstanceUpdate.from(jsonBody(ctx));
        respond(ctx, writer.setInstanceStateAsync(id, update), instance -> json(ctx, 200, instance));
    }

    // ---- reads

    private void getInstance(Context ctx) {
        String id = instanceId(ctx);
        TaskQueries q = queries();
        HostInfo owner = q.ownerOfInstance(id);
        if (q.isSelf(owner)) {
            localInstance(ctx);
        } else {
            respond(ctx, peer(owner).get("internal/v1/instances/" + encode(id)), body -> json(ctx, 200, body));
        }
    }

    private void localInstance(Context ctx) {
        String id = instanceId(ctx);
        json(ctx, 200, queries().localInstance(id).orElseThrow(() -> new ApiException(404, "Instance " + id + " not found")));
    }

    private void listInstances(Context ctx) {
        String active = ctx.queryParam("active");
        for (String name : ctx.queryParamMap().keySet()) {
            if (!name.equals("active")) {
                throw ApiException.badRequest("Unknown query parameter: " + shorten(name) + ". Known: active");
            }
        }
        if (active != null && !active.equals("true") && !active.equals("false")) {
            throw ApiException.badRequest("active must be true or false, got '" + shorten(active) + "'");
        }
        TaskQueries q = queries();
        List<CompletableFuture<TaskQueries.Slice<Instance>>> parts = new ArrayList<>();
        for (HostInfo host : q.instances()) {
            parts.add(q.isSelf(host)
                    ? CompletableFuture.completedFuture(q.localInstances())
                    : peer(host).get("internal/v1/instances").thenApply(body -> slice(body, "instances", Instance.class)));
        }
        respond(ctx, CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)), ignored -> {
            List<Instance> merged = merge(q, parts);
            merged.removeIf(i -> active != null && i.active() != Boolean.parseBoolean(active));
            merged.sort(TaskQueries.MOST_RECENT_HEARTBEAT);
            ObjectNode body = Json.object();
            ArrayNode list = body.putArray("instances");
            merged.forEach(i -> list.add(Json.MAPPER.<JsonNode>valueToTree(i)));
            json(ctx, 200, body);
        });
    }

    private void localInstances(Context ctx) {
        TaskQueries.Slice<Instance> slice = queries().localInstances();
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("instances");
        slice.items().forEach(i -> list.add(Json.MAPPER.<JsonNode>valueToTree(i)));
        ArrayNode partitions = body.putArray("partitions");
        slice.partitions().forEach(partitions::add);
        json(ctx, 200, body);
    }

    private void getTask(Context ctx) {
        long id = taskId(ctx);
        boolean allowStale = "true".equals(ctx.queryParam("allow_stale"));
        TaskQueries q = queries();
        CompletableFuture<JsonNode> answer;
        try {
            HostInfo owner = q.ownerOf(id);
            if (q.isSelf(owner)) {
                localTask(ctx);
                return;
            }
            answer = peer(owner).get("internal/v1/tasks/" + id);
            if (allowStale) {
                // A killed owner stays the owner until the group notices (its session times out): meanwhile a copy answers.
                answer = answer.exceptionallyCompose(e -> Problems.isUnavailable(e) ? staleTask(ctx, q, id, owner)
                        : CompletableFuture.failedFuture(e));
            }
        } catch (NotQueryableException | InvalidStateStoreException e) {
            if (!allowStale) {
                throw e;
            }
            answer = staleTask(ctx, q, id, null);
        }
        respond(ctx, answer, body -> json(ctx, 200, body));
    }

    /**
     * While the owner cannot answer (rebalancing, restoring, unreachable), a caller that passed
     * {@code allow_stale=true} is answered from another copy of the partition, with headers saying
     * the answer may be behind and by how many records. Copies are tried in the order Kafka Streams
     * lists them, the active first: a standby here may have just been assigned and still be empty.
     */
    private CompletableFuture<JsonNode> staleTask(Context ctx, TaskQueries q, long id, HostInfo unreachable) {
        try {
            List<HostInfo> holders = new ArrayList<>(q.holdersOf(id));
            holders.remove(unreachable);
            return staleTaskFrom(ctx, q, id, holders);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<JsonNode> staleTaskFrom(Context ctx, TaskQueries q, long id, List<HostInfo> holders) {
        if (holders.isEmpty()) {
            return CompletableFuture.failedFuture(
                    new NotQueryableException("No instance holds a readable copy of task " + id + "'s partition right now", null));
        }
        HostInfo holder = holders.get(0);
        CompletableFuture<JsonNode> answer;
        if (q.isSelf(holder)) {
            try {
                TaskQueries.Stale<java.util.Optional<Task>> read = q.staleTask(id);
                ctx.header(STALE_HEADER, "true");
                ctx.header(STALE_LAG_HEADER, Long.toString(read.lag()));
                answer = read.value().map(task -> CompletableFuture.completedFuture(Json.MAPPER.<JsonNode>valueToTree(task)))
                        .orElseGet(() -> CompletableFuture.failedFuture(new ApiException(404, "Task " + id + " not found")));
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
        } else {
            answer = peer(holder).getResponse("internal/v1/tasks/" + id + "?stale=true").thenApply(response -> {
                response.headers().firstValue(STALE_LAG_HEADER).ifPresent(lag -> ctx.header(STALE_LAG_HEADER, lag));
                ctx.header(STALE_HEADER, "true");
                return response.body();
            }).whenComplete((body, e) -> {
                // "not found" in a copy that may be behind: say so, as for a local copy (the lag stays with the peer)
                if (e != null && Problems.unwrap(e) instanceof HttpApi.Problem p && p.status() == 404) {
                    ctx.header(STALE_HEADER, "true");
                }
            });
        }
        List<HostInfo> others = holders.subList(1, holders.size());
        return answer.exceptionallyCompose(e -> Problems.isUnavailable(e) && !others.isEmpty()
                ? staleTaskFrom(ctx, q, id, others) : CompletableFuture.failedFuture(e));
    }

    private void localTask(Context ctx) {
        if ("true".equals(ctx.queryParam("stale"))) {
            localStaleTask(ctx);
            return;
        }
        long id = taskId(ctx);
        Task task = queries().localTask(id).orElseThrow(() -> new ApiException(404, "Task " + id + " not found"));
        json(ctx, 200, task);
    }

    private void localStaleTask(Context ctx) {
        long id = taskId(ctx);
        TaskQueries.Stale<java.util.Optional<Task>> read = queries().staleTask(id);
        ctx.header(STALE_HEADER, "true");
        ctx.header(STALE_LAG_HEADER, Long.toString(read.lag()));
        json(ctx, 200, read.value().orElseThrow(() -> new ApiException(404, "Task " + id + " not found")));
    }

    private void queryTasks(Context ctx) {
        TaskFilter filter = filter(ctx);
        TaskSort sort = TaskQueryParams.sort(ctx);
        int limit = limit(ctx);
        Cursor cursor = TaskQueryParams.cursor(ctx, sort);
        respond(ctx, query(filter, sort, cursor, limit, ctx.queryString()), merged -> json(ctx, 200, page(merged, limit, sort)));
    }

    /**
     * Up to {@code limit + 1} matches after {@code cursor} from every instance, merged in {@code sort}
     * order; {@code queryString} carries the same query to the other instances.
     */
    CompletableFuture<List<Task>> query(TaskFilter filter, TaskSort sort, Cursor cursor, int limit, String queryString) {
        TaskQueries q = queries();
        List<CompletableFuture<TaskQueries.Slice<Task>>> parts = new ArrayList<>();
        for (HostInfo host : q.instances()) {
            parts.add(q.isSelf(host)
                    ? CompletableFuture.completedFuture(q.localQuery(filter, sort, cursor, limit))
                    : peer(host).get("internal/v1/tasks?" + queryString).thenApply(body -> slice(body, "tasks", Task.class)));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<Task> merged = merge(q, parts);
            merged.sort(sort.comparator());
            return merged;
        });
    }

    private void localQuery(Context ctx) {
        TaskSort sort = TaskQueryParams.sort(ctx);
        TaskQueries.Slice<Task> slice = queries().localQuery(filter(ctx), sort, TaskQueryParams.cursor(ctx, sort), limit(ctx));
        ObjectNode body = page(slice.items(), Integer.MAX_VALUE, sort);
        ArrayNode partitions = body.putArray("partitions");
        slice.partitions().forEach(partitions::add);
        json(ctx, 200, body);
    }

    /**
     * The consistency check of every partition, from every instance: 200 when consistent, 500 with
     * the problems otherwise; with the records every instance dead-lettered since it started.
     */
    private void check(Context ctx) {
        TaskQueries q = queries();
        List<CompletableFuture<TaskQueries.Slice<String>>> parts = new ArrayList<>();
        List<CompletableFuture<JsonNode>> deadLetters = new ArrayList<>();
        for (HostInfo host : q.instances()) {
            if (q.isSelf(host)) {
                parts.add(CompletableFuture.completedFuture(q.check()));
                deadLetters.add(CompletableFuture.completedFuture(Json.MAPPER.valueToTree(q.deadLetters())));
            } else {
                CompletableFuture<JsonNode> answer = peer(host).get("internal/v1/check");
                parts.add(answer.thenApply(body -> slice(body, "problems", String.class)));
                deadLetters.add(answer.thenApply(body -> body.path("dead_letters")));
            }
        }
        List<CompletableFuture<?>> all = new ArrayList<>(parts);
        all.addAll(deadLetters);
        respond(ctx, CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)), ignored -> {
            long tasks = 0;
            List<String> problems = new ArrayList<>();
            for (String line : merge(q, parts)) {
                if (line.startsWith("tasks=")) {
                    tasks += Long.parseLong(line.substring("tasks=".length()));
                } else {
                    problems.add(line);
                }
            }
            ObjectNode body = Json.object();
            body.put("consistent", problems.isEmpty());
            body.put("tasks", tasks);
            body.put("partitions", q.partitions());
            ArrayNode list = body.putArray("problems");
            problems.forEach(list::add);
            ObjectNode dead = body.putObject("dead_letters");
            Map<String, Long> byReason = new java.util.TreeMap<>();
            deadLetters.forEach(d -> d.join().fields().forEachRemaining(e -> byReason.merge(e.getKey(), e.getValue().asLong(), Long::sum)));
            dead.put("total", byReason.values().stream().mapToLong(Long::longValue).sum());
            dead.set("by_reason", Json.MAPPER.valueToTree(byReason));
            json(ctx, problems.isEmpty() ? 200 : 500, body);
        });
    }

    private void localCheck(Context ctx) {
        TaskQueries.Slice<String> slice = queries().check();
        ObjectNode body = Json.object();
        ArrayNode problems = body.putArray("problems");
        slice.items().forEach(problems::add);
        ArrayNode partitions = body.putArray("partitions");
        slice.partitions().forEach(partitions::add);
        body.set("dead_letters", Json.MAPPER.valueToTree(queries().deadLetters()));
        json(ctx, 200, body);
    }

    /** Times a request under its route pattern, so {@code /api/v1/tasks/{id}} is one series whatever the id. */
    private void timeRequest(Context ctx, Float millis) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        Timer.builder(REQUESTS_METRIC)
                .description("HTTP API requests by method, route pattern and status")
                .tag("method", ctx.method().name())
                .tag("uri", endpoint == null ? "UNMATCHED" : endpoint.path)
                .tag("status", Integer.toString(ctx.statusCode()))
                .register(metrics)
                .record((long) (millis * 1_000_000L), TimeUnit.NANOSECONDS);
    }

    private void ready(Context ctx) {
        KafkaStreams.State state = streamsState.get();
        boolean ready = queries != null && queries.ready();
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("status", ready ? "ready" : "not ready");
        body.put("streams", state.toString());
        if (!ready) {
            restoreProgress.get().ifPresent(p -> body.put("restore", p));
        }
        json(ctx, ready ? 200 : 503, body);
    }

    // ---- request parsing

    static ObjectNode jsonBody(Context ctx) {
        String type = ctx.contentType();
        if (type != null && !type.split(";", 2)[0].trim().equalsIgnoreCase("application/json")) {
            throw new ApiException(415, "Content-Type must be application/json, got " + shorten(type));
        }
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0) {
            throw ApiException.badRequest("The request body is empty: send a JSON object");
        }
        JsonNode body;
        try {
            body = Json.tree(bytes);
        } catch (IOException e) {
            throw ApiException.badRequest("The request body is not valid JSON: "
                    + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest("The request body must be a JSON object");
        }
        return (ObjectNode) body;
    }

    static String commandId(Context ctx) {
        String key = ctx.header("Idempotency-Key");
        if (key == null) {
            return UUID.randomUUID().toString();
        }
        if (key.isBlank() || key.length() > 200) {
            throw ApiException.badRequest("Idempotency-Key must be 1 to 200 characters");
        }
        return key;
    }

    static long taskId(Context ctx) {
        String raw = ctx.pathParam("id");
        // ASCII digits only: Long.parseLong would also take "+5" and other scripts' digits
        if (raw.length() <= 19 && !raw.isEmpty() && raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                long id = Long.parseLong(raw);
                if (id > 0) {
                    return id;
                }
            } catch (NumberFormatException ignored) {
                // over Long.MAX_VALUE: reported below
            }
        }
        throw ApiException.badRequest("Task id must be a positive integer, got '" + shorten(raw) + "'");
    }

    /** {@code text} cut to a length fit for an error message. */
    static String shorten(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "... (" + text.length() + " characters)";
    }

    private static TaskFilter filter(Context ctx) {
        return TaskQueryParams.filter(ctx, Set.of("limit", "cursor"));
    }

    static int limit(Context ctx) {
        String raw = ctx.queryParam("limit");
        if (raw == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.badRequest("limit must be an integer from 1 to " + MAX_LIMIT + ", got '" + shorten(raw) + "'");
    }

    // ---- responses

    private static ObjectNode page(List<Task> ordered, int limit) {
        return page(ordered, limit, TaskSort.NEWEST_FIRST);
    }

    private static ObjectNode page(List<Task> ordered, int limit, TaskSort sort) {
        ObjectNode page = Json.object();
        ArrayNode tasks = page.putArray("tasks");
        // as POJOs, written straight to the response when it is serialized: no intermediate tree per task
        ordered.stream().limit(limit).forEach(tasks::addPOJO);
        page.put("next_cursor", ordered.size() > limit ? Cursor.after(ordered.get(limit - 1), sort).encode() : null);
        return page;
    }

    static <T> TaskQueries.Slice<T> slice(JsonNode body, String field, Class<T> type) {
        List<T> items = new ArrayList<>();
        body.path(field).forEach(t -> items.add(Json.convert(t, type)));
        Set<Integer> partitions = new TreeSet<>();
        body.path("partitions").forEach(p -> partitions.add(p.asInt()));
        return new TaskQueries.Slice<>(items, partitions);
    }

    /** The union of every instance's slice; refuses to present a partial answer as complete. */
    static <T> List<T> merge(TaskQueries q, List<CompletableFuture<TaskQueries.Slice<T>>> parts) {
        List<T> merged = new ArrayList<>();
        Set<Integer> covered = new TreeSet<>();
        parts.forEach(p -> {
            merged.addAll(p.join().items());
            covered.addAll(p.join().partitions());
        });
        if (covered.size() != q.partitions()) {
            throw new NotQueryableException("Only partitions " + covered + " of " + q.partitions()
                    + " could be read (instances are rebalancing); the answer would be partial", null);
        }
        return merged;
    }

    private static String instanceId(Context ctx) {
        String id = ctx.pathParam("id");
        if (id.isBlank() || id.length() > 200 || id.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.badRequest("Instance id must be 1 to 200 characters without control characters");
        }
        return id;
    }

    private static String encode(String pathSegment) {
        return java.net.URLEncoder.encode(pathSegment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.bytes(body));
    }

    static <T> void respond(Context ctx, CompletableFuture<T> future, java.util.function.Consumer<T> onSuccess) {
        ctx.future(() -> future.handle((value, error) -> {
            try {
                if (error != null) {
                    Problems.respond(ctx, error);
                } else {
                    onSuccess.accept(value);
                }
            } catch (RuntimeException e) {
                Problems.respond(ctx, e);
            }
            return null;
        }));
    }

    TaskQueries queries() {
        TaskQueries q = queries;
        if (q == null) {
            throw new NotQueryableException("The stores are still starting", null);
        }
        return q;
    }

    HttpApi peer(HostInfo host) {
        return peers.computeIfAbsent(host,
                h -> new HttpApi(URI.create("http://" + h.host() + ":" + h.port() + "/"), forwardTimeout, peerToken));
    }

}
