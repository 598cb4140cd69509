package io.taskstate.app.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.taskstate.client.InstanceUpdate;
import io.taskstate.client.TaskHistoryPage;
import io.taskstate.client.TaskPage;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskSort;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The MCP tools: the nine of the Task State Server, with its names, arguments and result shapes,
 * plus the claim tools and get_task_history. Each result is the JSON text the reference returns. Timestamps in results
 * are naive UTC ISO strings with milliseconds ({@code 2026-01-21T10:30:00.123}), so Python's
 * {@code datetime.fromisoformat()} parses them and they compare with a naive {@code datetime.now()}
 * on a UTC machine. Errors are tool results with {@code isError: true} and the HTTP API's wording.
 */
public final class McpTools {
    /** Tasks {@code query_tasks} returns when no {@code limit} is given. */
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    private static final Set<String> TIME_FIELDS = Set.of("created_at", "updated_at", "completed_at", "last_heartbeat",
            "expired_at", "lease_expires_at", "at");
    private static final DateTimeFormatter NAIVE_UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS")
            .withZone(ZoneOffset.UTC);
    private static final Set<String> QUERY_FILTERS = Set.of("status", "priority", "assignee", "parent_task_id", "id",
            "title_contains", "description_contains", "root", "metadata", "created_after", "created_before", "updated_after",
            "updated_before", "completed_after", "completed_before");

    private final TaskStateClient client;
    private final AtomicLong rootCreates = new AtomicLong();

    public McpTools(TaskStateClient client) {
        this.client = client;
    }

    /**
     * Where the next root task goes: round the partitions from partition 0, as the routing of a task
     * id {@code k + 1} lands on partition {@code k mod P}. Partition {@code p} numbers its tasks
     * {@code seq * P + p + 1}, so one agent on a fresh server gets ids 1, 2, 3... in creation order,
     * as from the reference; its examples go on to {@code update_task(id=1, ...)}, meaning the first.
     */
    private long nextRootRouting() {
        return rootCreates.getAndIncrement() + 1;
    }

    /** An MCP server on stdio (or any single-session transport) offering these tools. */
    public McpSyncServer serve(McpServerTransportProvider transport) {
        return configure(McpServer.sync(transport)).build();
    }

    /** An MCP server on Streamable HTTP offering these tools. */
    public McpSyncServer serve(McpStreamableServerTransportProvider transport) {
        return configure(McpServer.sync(transport)).build();
    }

    /** Arguments are checked by the tools themselves, so errors carry the HTTP API's wording. */
    private <S extends McpServer.SyncSpecification<S>> McpServer.SyncSpecification<S> configure(McpServer.SyncSpecification<S> spec) {
        return spec.serverInfo("taskstate", version()).instructions(INSTRUCTIONS)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .validateToolInputs(false).tools(specifications());
    }

    private static final String INSTRUCTIONS = "Task and worker coordination shared by many agents. Create tasks, "
            + "break them into subtasks, take work with claim_next_task (atomic: no two agents get the same task), "
            + "report progress with update_task or complete_task, and send heartbeat regularly (every 1-2 minutes) "
            + "so others see you are alive; if you stop, your in-progress tasks go back to pending.";

    List<SyncToolSpecification> specifications() {
        List<SyncToolSpecification> tools = new ArrayList<>();
        tool(tools, "create_task", """
                Create a task. Returns the new task as JSON (id, title, description, status, priority, assignee, \
                parent_task_id, subtask_ids, metadata, created_at, updated_at, completed_at). status is one of \
                pending, in_progress, completed, blocked (default pending); priority one of low, medium, high, critical \
                (default medium). A subtask names its parent_task_id. metadata is any JSON object ({} when omitted).                 depends_on lists task ids that must be completed before this one can be claimed (the task shows                 ready=false and open_dependencies until then).
                Example: create_task(title="Review PR #12", priority="high", metadata={"pr": 12}, depends_on=[7])""",
                schema(props(
                        "title", str("Short, searchable title (1 to 500 characters)"),
                        "description", str("Longer description"),
                        "status", enumOf("Initial status", TaskStatus.values()),
                        "priority", enumOf("Priority", Priority.values()),
                        "assignee", str("Who works on it (an instance id)"),
                        "parent_task_id", integer("Id of the parent task, to make this a subtask"),
                        "metadata", object("Any JSON object"),
                        "depends_on", ids("Ids of the tasks that must be completed before this one can be claimed")), "title"),
                args -> {
                    JsonNode parent = args.get("parent_task_id");
                    long routing = parent != null && parent.canConvertToLong() && parent.asLong() > 0
                            ? parent.asLong() : nextRootRouting();
                    return join(client.write(CommandType.CREATE_TASK, null, routing, args, null, newId()));
                });
        tool(tools, "update_task", """
                Change some fields of a task; only the fields given change. Returns the updated task. updates may hold \
                title, description, status (pending, in_progress, completed, blocked), priority (low, medium, high, \
                critical), assignee (null clears it), parent_task_id, metadata (replaces it), depends_on (replaces the \
                list of task ids this one waits for; [] clears it). Give expect to change the \
                task only if it still has those values, e.g. expect={"status": "pending"}; otherwise it fails and says \
                who holds it. Prefer claim_task to take work.
                Example: update_task(id=5, updates={"status": "completed"})""",
                schema(props(
                        "id", integer("The task id"),
                        "updates", object("Fields to change"),
                        "expect", object("Optional condition: current field values the task must have")), "id", "updates"),
                args -> {
                    long id = id(args, "id");
                    JsonNode updates = args.get("updates");
                    if (updates == null || !updates.isObject()) {
                        throw new ToolError("updates is required: give an object of the fields to change, e.g. {\"status\": \"in_progress\"}");
                    }
                    return join(client.write(CommandType.UPDATE_TASK, id, id, (ObjectNode) updates, optionalObject(args, "expect"), newId()));
                });
        tool(tools, "delete_task", """
                Delete a task and all its subtasks (cascade). Returns {"success": true, "deleted_task": {...}, \
                "deleted_ids": [...]}.
                Example: delete_task(id=5)""",
                schema(props("id", integer("The task id")), "id"),
                args -> {
                    long id = id(args, "id");
                    return join(client.write(CommandType.DELETE_TASK, id, id, Json.object(), null, newId()));
                });
        tool(tools, "get_task", """
                Get one task by id, with subtask_ids (the ids of its direct subtasks). Fails with "Task N not found".
                Example: get_task(id=5)""",
                schema(props("id", integer("The task id")), "id"),
                args -> Json.MAPPER.valueToTree(join(client.getTaskAsync(id(args, "id")))));
        tool(tools, "get_task_history", """
                Get a task's history, oldest change first: {"task_id": N, "entries": [...]}. Each entry has seq, at, \
                command_id, client_id, type (the command that caused it: create_task, update_task, claim_task, \
                release_task, complete_task, renew_lease, or the server's own release_expired and expire_leases), \
                assignee (after the change), reason (why, when the server changed it itself) and changes \
                ({"field": {"from": ..., "to": ...}}). Only the newest entries of a task are kept (100 by default). \
                Fails with "Task N not found".
                Example: get_task_history(id=5, limit=20)""",
                schema(props(
                        "id", integer("The task id"),
                        "limit", integer("Most entries to return, the oldest kept first (1 to 1000, default 100)")), "id"),
                this::taskHistory);
        tool(tools, "query_tasks", """
                List tasks, newest first, as a JSON array. All filters are optional and combine: status (pending, \
                in_progress, completed, blocked), priority (low, medium, high, critical), assignee, parent_task_id, id, \
                root (true: only tasks without a parent), title_contains and description_contains (case-insensitive), \
                metadata (an object of top-level metadata fields and values; an array field matches when it contains \
                the value), created_after, created_before, updated_after, updated_before, completed_after, \
                completed_before (ISO times; after includes the time, before excludes it). sort (created_at, \
                updated_at, priority) and order (asc, desc; default desc) change the order. Returns at most limit \
                tasks (default 100, max 1000); when more match, a second text item gives the cursor to pass for the \
                next page, with the same filters and sort.
                Example: query_tasks(filters={"status": "pending", "priority": "high"})
                Stuck tasks: query_tasks(filters={"status": "in_progress", "updated_before": "2026-01-21T10:00:00"})""",
                schema(props(
                        "filters", object("Optional filters"),
                        "sort", str("created_at (default), updated_at or priority"),
                        "order", str("desc (default) or asc"),
                        "limit", integer("Most tasks to return (1 to 1000, default 100)"),
                        "cursor", str("From the previous page's answer, to get the next page"))),
                this::queryTasks);
        tool(tools, "get_stats", """
                Count tasks without listing them: total, by_status, by_priority, by_assignee, and oldest_pending \
                (the pending task created first, or null). Use it for a progress report or to spot a backlog.
                Example: get_stats()""",
                schema(props()),
                args -> Json.MAPPER.valueToTree(join(client.statsAsync())));
        tool(tools, "get_instance_state", """
                Get an agent instance's state: instance_id, status (active, idle, busy), current_task_id, \
                working_directory, metadata, last_heartbeat, active (heard from within the timeout). Fails with \
                "Instance X not found".
                Example: get_instance_state(instance_id="worker-1")""",
                schema(props("instance_id", str("The instance id")), "instance_id"),
                args -> Json.MAPPER.valueToTree(join(client.getInstanceStateAsync(text(args, "instance_id")))));
        tool(tools, "set_instance_state", """
                Update an instance's state (creating it if needed); counts as a heartbeat. state may hold \
                current_task_id (must be an existing task, or null), status (active, idle, busy), working_directory, \
                metadata. Returns the instance.
                Example: set_instance_state(instance_id="worker-1", state={"status": "busy", "current_task_id": 5})""",
                schema(props(
                        "instance_id", str("The instance id"),
                        "state", object("Fields to change")), "instance_id", "state"),
                args -> {
                    String instance = text(args, "instance_id");
                    JsonNode state = args.get("state");
                    if (state == null || !state.isObject()) {
                        throw new ToolError("state is required: give an object, e.g. {\"status\": \"busy\"}");
                    }
                    return Json.MAPPER.valueToTree(join(client.setInstanceStateAsync(instance, InstanceUpdate.from((ObjectNode) state))));
                });
        tool(tools, "list_active_instances", """
                List the instances that sent a heartbeat within the timeout (default 5 minutes), most recent first, \
                as a JSON array of instances.
                Example: list_active_instances()""",
                schema(props()),
                args -> Json.MAPPER.valueToTree(join(client.listInstancesAsync(true))));
        tool(tools, "heartbeat", """
                Tell the coordinator this instance is alive; the first heartbeat registers it (status active). Send \
                one every 1-2 minutes: an instance silent for longer than the timeout is inactive, and its in-progress \
                tasks go back to pending. Returns the instance.
                Example: heartbeat(instance_id="worker-1")""",
                schema(props("instance_id", str("The instance id")), "instance_id"),
                args -> Json.MAPPER.valueToTree(join(client.heartbeatAsync(text(args, "instance_id")))));
        tool(tools, "claim_task", """
                Take a pending task for yourself, atomically: it becomes in_progress with you as assignee and your \
                instance's current task. Fails if someone else holds it (the message says who). Optional \
                lease_seconds: unless you renew or keep heartbeating, the task goes back to pending when it runs out.
                Example: claim_task(id=5, assignee="worker-1")""",
                schema(props(
                        "id", integer("The task id"),
                        "assignee", str("Your instance id"),
                        "lease_seconds", integer("Optional lease, 1 to 604800 seconds")), "id", "assignee"),
                args -> claimLike(CommandType.CLAIM_TASK, args, "assignee", "lease_seconds"));
        tool(tools, "claim_next_task", """
                Take the best pending task that matches, atomically: highest priority first (critical, high, medium, \
                low), then oldest. Returns the task, or null when nothing is available. filters may hold priority, \
                unassigned_only (true), parent_task_id, title_contains, metadata (field values that must match; a \
                single value matches an array that contains it, e.g. {"capabilities": "gpu"}).
                Example: claim_next_task(assignee="worker-1", filters={"priority": "high"})""",
                schema(props(
                        "assignee", str("Your instance id"),
                        "filters", object("Optional filters"),
                        "lease_seconds", integer("Optional lease, 1 to 604800 seconds")), "assignee"),
                this::claimNext);
        tool(tools, "release_task", """
                Give a task you hold back: it returns to pending with no assignee. Only the holder may, unless \
                force=true. Returns the task.
                Example: release_task(id=5, assignee="worker-1")""",
                schema(props(
                        "id", integer("The task id"),
                        "assignee", str("Your instance id"),
                        "force", bool("Release even if someone else holds it")), "id", "assignee"),
                args -> claimLike(CommandType.RELEASE_TASK, args, "assignee", "force"));
        tool(tools, "complete_task", """
                Mark a task you hold completed; metadata given is merged into the task's (e.g. results). Only the \
                holder may, unless force=true. Returns the task.
                Example: complete_task(id=5, assignee="worker-1", metadata={"result": "merged"})""",
                schema(props(
                        "id", integer("The task id"),
                        "assignee", str("Your instance id"),
                        "metadata", object("Optional fields to merge into the task's metadata"),
                        "force", bool("Complete even if someone else holds it")), "id", "assignee"),
                args -> claimLike(CommandType.COMPLETE_TASK, args, "assignee", "metadata", "force"));
        return tools;
    }

    private JsonNode queryTasks(ObjectNode args) {
        JsonNode filters = args.get("filters");
        if (filters != null && !filters.isNull() && !filters.isObject()) {
            throw new ToolError("filters must be an object, e.g. {\"status\": \"pending\"}");
        }
        ObjectNode f = filters == null || filters.isNull() ? Json.object() : (ObjectNode) filters;
        for (String name : (Iterable<String>) f::fieldNames) {
            if (!QUERY_FILTERS.contains(name)) {
                throw new ToolError("Unknown filter: " + shown(name) + ". Known: " + String.join(", ", QUERY_FILTERS.stream().sorted().toList()));
            }
        }
        long limit = args.hasNonNull("limit") ? longArg(args, "limit") : DEFAULT_LIMIT;
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ToolError("limit must be from 1 to " + MAX_LIMIT + ", got " + limit);
        }
        ArrayNode tasks = Json.MAPPER.createArrayNode();
        if (f.hasNonNull("id")) {
            try {
                Task task = join(client.getTaskAsync(id(f, "id")));
                if (new TaskQueryMatcher(f).matches(task)) {
                    tasks.add(Json.MAPPER.<JsonNode>valueToTree(task));
                }
            } catch (TaskStateException.NotFound missing) {
                // no such task: an empty answer, as the reference gives
            }
            return tasks;
        }
        TaskQuery query = TaskQueryMatcher.query(f).pageSize((int) limit);
        if (args.hasNonNull("sort") || args.hasNonNull("order")) {
            try {
                query = query.sort(TaskSort.parse(args.hasNonNull("sort") ? text(args, "sort") : null,
                        args.hasNonNull("order") ? text(args, "order") : null));
            } catch (IllegalArgumentException e) {
                throw new ToolError(e.getMessage());
            }
        }
        TaskPage page = join(client.queryPageAsync(query, args.hasNonNull("cursor") ? text(args, "cursor") : null));
        page.tasks().forEach(t -> tasks.add(Json.MAPPER.<JsonNode>valueToTree(t)));
        return page.nextCursor() == null ? tasks : new Paged(tasks, page.nextCursor());
    }

    private JsonNode taskHistory(ObjectNode args) {
        long id = id(args, "id");
        long limit = args.hasNonNull("limit") ? longArg(args, "limit") : DEFAULT_LIMIT;
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ToolError("limit must be from 1 to " + MAX_LIMIT + ", got " + limit);
        }
        TaskHistoryPage page = join(client.historyPageAsync(id, (int) limit, null));
        ObjectNode result = Json.object();
        result.put("task_id", page.taskId());
        result.set("entries", Json.MAPPER.valueToTree(page.entries()));
        return result;
    }

    private JsonNode claimNext(ObjectNode args) {
        String assignee = text(args, "assignee");
        JsonNode filters = args.get("filters");
        ClaimFilter filter = claimFilter(filters);
        Duration lease = args.hasNonNull("lease_seconds") ? Duration.ofSeconds(longArg(args, "lease_seconds")) : null;
        Optional<Task> task = join(client.claimNextAsync(assignee, filter, lease));
        return task.<JsonNode>map(Json.MAPPER::valueToTree).orElse(Json.MAPPER.nullNode());
    }

    private JsonNode claimLike(CommandType type, ObjectNode args, String... fields) {
        long id = id(args, "id");
        ObjectNode payload = Json.object();
        for (String field : fields) {
            if (args.has(field)) {
                payload.set(field, args.get(field));
            }
        }
        return join(client.write(type, id, id, payload, null, newId()));
    }

    // ---- plumbing

    /** A page of tasks with the cursor of the next: the array goes first, the cursor in a second text item. */
    private static final class Paged extends com.fasterxml.jackson.databind.node.ArrayNode {
        final String next;

        Paged(ArrayNode tasks, String next) {
            super(Json.MAPPER.getNodeFactory());
            addAll(tasks);
            this.next = next;
        }
    }

    private static void tool(List<SyncToolSpecification> tools, String name, String description, ObjectNode schema,
                             Function<ObjectNode, JsonNode> handler) {
        @SuppressWarnings("unchecked")
        Map<String, Object> inputSchema = Json.MAPPER.convertValue(schema, Map.class);
        McpSchema.Tool tool = McpSchema.Tool.builder().name(name).description(description).inputSchema(inputSchema).build();
        List<String> known = new ArrayList<>();
        schema.get("properties").fieldNames().forEachRemaining(known::add);
        tools.add(SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> {
            try {
                ObjectNode args = request.arguments() == null ? Json.object() : Json.MAPPER.valueToTree(request.arguments());
                requireKnown(args, known);
                JsonNode result = handler.apply(args);
                McpSchema.CallToolResult.Builder answer = McpSchema.CallToolResult.builder()
                        .addTextContent(Json.string(naiveTimes(result.deepCopy())));
                if (result instanceof Paged paged) {
                    answer.addTextContent("More tasks match: call " + name + " again with the same filters and cursor=\""
                            + paged.next + "\" for the next page.");
                }
                return answer.isError(false).build();
            } catch (RuntimeException e) {
                return McpSchema.CallToolResult.builder().addTextContent(message(e)).isError(true).build();
            }
        }).build());
    }

    /** An argument the tool does not have is refused, as the schema says ({@code additionalProperties: false}). */
    private static void requireKnown(ObjectNode args, List<String> known) {
        for (String name : (Iterable<String>) args::fieldNames) {
            if (!known.contains(name)) {
                throw new ToolError("Unknown argument: " + shown(name) + (known.isEmpty() ? ". This tool takes no arguments"
                        : ". Known: " + String.join(", ", known)));
            }
        }
    }

    private static final Set<String> CLAIM_FILTERS = Set.of("priority", "unassigned_only", "parent_task_id", "title_contains",
            "metadata");

    /** The filters of claim_next_task, each checked, so a misspelt one is an error rather than no filter at all. */
    private static ClaimFilter claimFilter(JsonNode filters) {
        if (filters == null || filters.isNull()) {
            return ClaimFilter.ANY;
        }
        if (!filters.isObject()) {
            throw new ToolError("filters must be an object, e.g. {\"priority\": \"high\"}");
        }
        for (String name : (Iterable<String>) filters::fieldNames) {
            if (!CLAIM_FILTERS.contains(name)) {
                throw new ToolError("Unknown filter: " + shown(name) + ". Known: " + String.join(", ", CLAIM_FILTERS.stream().sorted().toList()));
            }
        }
        JsonNode priority = filters.get("priority");
        if (priority != null && !priority.isNull() && (!priority.isTextual() || Priority.parse(priority.asText()).isEmpty())) {
            throw new ToolError("Invalid priority. Must be one of: " + Priority.VALID);
        }
        requireType(filters, "unassigned_only", JsonNode::isBoolean, "true or false");
        requireType(filters, "parent_task_id", n -> n.isIntegralNumber() && n.canConvertToLong(), "an integer task id");
        requireType(filters, "title_contains", JsonNode::isTextual, "a string");
        requireType(filters, "metadata", JsonNode::isObject, "an object of field values");
        return Json.convert(filters, ClaimFilter.class);
    }

    private static void requireType(JsonNode filters, String field, java.util.function.Predicate<JsonNode> ok, String expected) {
        JsonNode node = filters.get(field);
        if (node != null && !node.isNull() && !ok.test(node)) {
            throw new ToolError("filters." + field + " must be " + expected + ", got " + shown(node));
        }
    }

    /** An argument as an error message shows it: at most 100 characters. */
    private static String shown(Object value) {
        String text = String.valueOf(value);
        return text.length() <= 100 ? text : text.substring(0, 100) + "... (" + text.length() + " characters)";
    }

    private static String message(RuntimeException e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof TaskStateException || cause instanceof ToolError || cause instanceof IllegalArgumentException) {
            return cause.getMessage();
        }
        return "Internal error: " + cause;
    }

    /** Rewrites every timestamp field to naive UTC with milliseconds, recursively. */
    static JsonNode naiveTimes(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (TIME_FIELDS.contains(e.getKey()) && e.getValue().isTextual()) {
                    try {
                        e.setValue(Json.MAPPER.getNodeFactory().textNode(NAIVE_UTC.format(Instant.parse(e.getValue().asText()))));
                    } catch (DateTimeParseException ignored) {
                        // not a timestamp we wrote: leave it
                    }
                } else {
                    naiveTimes(e.getValue());
                }
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(McpTools::naiveTimes);
        }
        return node;
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private static long id(ObjectNode args, String field) {
        JsonNode node = args.get(field);
        if (node == null || node.isNull()) {
            throw new ToolError(field + " is required: give the task id (a positive integer)");
        }
        if (!node.canConvertToLong() || !(node.isIntegralNumber() || node.isTextual()) || node.asLong() <= 0) {
            throw new ToolError(field + " must be a positive integer task id, got " + shown(node));
        }
        return node.asLong();
    }

    private static long longArg(ObjectNode args, String field) {
        JsonNode node = args.get(field);
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw new ToolError(field + " must be an integer, got " + shown(node));
        }
        return node.asLong();
    }

    private static String text(ObjectNode args, String field) {
        JsonNode node = args.get(field);
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new ToolError(field + " is required: give a non-empty string");
        }
        return node.asText();
    }

    private static ObjectNode optionalObject(ObjectNode args, String field) {
        JsonNode node = args.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new ToolError(field + " must be an object of field values, e.g. {\"status\": \"pending\"}");
        }
        return (ObjectNode) node;
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }

    private static String version() {
        String v = McpTools.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    // ---- JSON schema builders

    private static ObjectNode schema(ObjectNode properties, String... required) {
        ObjectNode s = Json.object();
        s.put("type", "object");
        s.set("properties", properties);
        ArrayNode r = s.putArray("required");
        for (String name : required) {
            r.add(name);
        }
        s.put("additionalProperties", false);
        return s;
    }

    private static ObjectNode props(Object... nameThenSchema) {
        ObjectNode p = Json.object();
        for (int i = 0; i < nameThenSchema.length; i += 2) {
            p.set((String) nameThenSchema[i], (JsonNode) nameThenSchema[i + 1]);
        }
        return p;
    }

    private static ObjectNode typed(String type, String description) {
        ObjectNode n = Json.object();
        n.put("type", type);
        n.put("description", description);
        return n;
    }

    private static ObjectNode str(String description) {
        return typed("string", description);
    }

    private static ObjectNode integer(String description) {
        return typed("integer", description);
    }

    private static ObjectNode ids(String description) {
        ObjectNode n = typed("array", description);
        n.putObject("items").put("type", "integer");
        return n;
    }

    private static ObjectNode bool(String description) {
        return typed("boolean", description);
    }

    private static ObjectNode object(String description) {
        return typed("object", description);
    }

    private static ObjectNode enumOf(String description, Enum<?>[] values) {
        ObjectNode n = str(description);
        ArrayNode e = n.putArray("enum");
        for (Enum<?> v : values) {
            e.add(v.name().toLowerCase(java.util.Locale.ROOT));
        }
        return n;
    }

    /** A tool argument that is wrong; the message says what to give instead. */
    static final class ToolError extends RuntimeException {
        ToolError(String message) {
            super(message, null, false, false);
        }
    }
}
