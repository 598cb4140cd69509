package io.taskstate.app.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Generates malformed MCP messages for the Streamable HTTP transport: broken JSON-RPC, unknown
 * methods and tools, arguments of the wrong type, unknown, missing, huge or too deep. Every tool
 * call that could change state is malformed by construction, so the tool must answer
 * {@code isError}; reads may also be answered.
 */
final class McpProbes {
    /** One POST to /mcp; {@code id} is the JSON-RPC id when the message is a well-formed request, else null. */
    record Probe(String kind, String method, Map<String, String> headers, byte[] body, Long id, boolean mustFail) {
        @Override
        public String toString() {
            Map<String, String> shown = new LinkedHashMap<>();
            headers.forEach((k, v) -> shown.put(k, v.length() > 60 ? v.substring(0, 60) + "..." : v));
            return kind + ": " + method + " " + shown + " [" + body.length + " bytes] "
                    + new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
        }
    }

    private static final List<String> WRITE_TOOLS = List.of("create_task", "update_task", "delete_task", "set_instance_state",
            "heartbeat", "claim_task", "claim_next_task", "release_task", "complete_task");
    private static final List<String> READ_TOOLS = List.of("get_task", "query_tasks", "get_instance_state", "list_active_instances");
    private static final List<String> BAD_INTEGERS = List.of("\"abc\"", "1.5", "-1", "0", "true", "{}", "[]", "1e309",
            "9223372036854775808", "\"\"", "\"-3\"", "\"1.5\"", "[1]");
    private static final List<String> BAD_OBJECTS = List.of("\"x\"", "1", "[]", "true", "[{}]", "\"{}\"");

    private final BadInput in;
    private final String sessionId;
    private final List<Long> taskIds;
    private final String instanceId;
    private final long maxBodyBytes;
    private final int maxDepth;
    private long nextId = 1_000;

    McpProbes(BadInput in, String sessionId, List<Long> taskIds, String instanceId, long maxBodyBytes, int maxDepth) {
        this.in = in;
        this.sessionId = sessionId;
        this.taskIds = taskIds;
        this.instanceId = instanceId;
        this.maxBodyBytes = maxBodyBytes;
        this.maxDepth = maxDepth;
    }

    List<Probe> generate(int count) {
        List<Supplier<Probe>> kinds = List.of(this::brokenMessage, this::unknownMethod, this::unknownTool, this::badArguments,
                this::badArguments, this::badArguments, this::unknownArgument, this::readWithNastyArguments, this::tooDeep,
                this::badTransport);
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            probes.add(in.pick(kinds).get());
        }
        for (int i = 0; i < 4; i++) {
            probes.add(hugeArgument(maxBodyBytes - 200 - in.nextInt(100_000)));
            probes.add(hugeArgument(maxBodyBytes + 1 + in.nextInt(100_000)));
        }
        return probes;
    }

    private Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", "application/json");
        h.put("Accept", "application/json, text/event-stream");
        h.put("Mcp-Session-Id", sessionId);
        h.put("MCP-Protocol-Version", McpClient.PROTOCOL_VERSION);
        return h;
    }

    private Probe request(String kind, String method, String params, boolean mustFail) {
        long id = nextId++;
        String body = "{\"jsonrpc\": \"2.0\", \"id\": " + id + ", \"method\": \"" + method + "\""
                + (params == null ? "" : ", \"params\": " + params) + "}";
        return new Probe(kind, "POST", headers(), body.getBytes(StandardCharsets.UTF_8), id, mustFail);
    }

    private Probe call(String kind, String tool, String arguments, boolean mustFail) {
        return request(kind, "tools/call", "{\"name\": \"" + tool + "\", \"arguments\": " + arguments + "}", mustFail);
    }

    private Probe brokenMessage() {
        String body = in.pick(List.<Supplier<String>>of(
                () -> in.pick(BadInput.BROKEN_JSON),
                () -> in.truncated("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"tools/call\", \"params\": {\"name\": \"get_task\", \"arguments\": {\"id\": 1}}}"),
                () -> "{\"jsonrpc\": " + in.pick(List.of("\"1.0\"", "2.0", "null", "\"\"", "\"2.0 \"")) + ", \"id\": 1, \"method\": \"tools/list\"}",
                () -> "{\"jsonrpc\": \"2.0\", \"id\": " + in.pick(List.of("{}", "[]", "1.5", "true", "1e309", "99999999999999999999")) + ", \"method\": \"tools/list\"}",
                () -> "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": " + in.pick(List.of("1", "null", "[]", "{}", "\"\"")) + "}",
                () -> "{\"jsonrpc\": \"2.0\", \"id\": 1}",
                () -> "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": " + in.pick(List.of("\"x\"", "1", "[]", "true")) + "}",
                () -> "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": {\"name\": " + in.pick(List.of("1", "null", "\"\"", "[]")) + "}}",
                () -> "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": {\"name\": \"get_task\", \"arguments\": " + in.pick(BAD_OBJECTS) + "}}",
                () -> "[{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/list\"}]",
                () -> "{\"jsonrpc\": \"2.0\", \"result\": {}}")).get();
        return new Probe("broken JSON-RPC", "POST", headers(), body.getBytes(StandardCharsets.UTF_8), null, true);
    }

    private Probe unknownMethod() {
        return request("unknown method", in.pick(List.of("frob", "tools/frob", "resources/list", "prompts/get", "TOOLS/LIST",
                "tools/list ", "", "rpc.discover", "initialize/x")), in.chance(50) ? "{}" : null, true);
    }

    private Probe unknownTool() {
        String name = in.pick(List.of("nope", "create_tasks", "CREATE_TASK", " create_task", "create_task\\u0000", "😀",
                "'; DROP TABLE tasks; --", "a".repeat(5_000), "../get_task"));
        return request("unknown tool", "tools/call", "{\"name\": \"" + name + "\", \"arguments\": {}}", true);
    }

    private Probe badArguments() {
        String tool = in.pick(WRITE_TOOLS);
        long task = in.pick(taskIds);
        String args = switch (tool) {
            case "create_task" -> in.pick(List.<Supplier<String>>of(
                    () -> "{\"title\": " + in.pick(List.of(in.nonString(), "null", "\"\"", "\"" + "t".repeat(501) + "\"")) + "}",
                    () -> "{\"title\": " + in.pick(BadInput.STRINGS) + ", \"status\": " + in.value() + "}",
                    () -> "{\"title\": \"t\", \"priority\": " + in.value() + "}",
                    () -> "{\"title\": \"t\", \"parent_task_id\": " + in.pick(BAD_INTEGERS) + "}",
                    () -> "{\"title\": \"t\", \"metadata\": " + in.pick(BAD_OBJECTS) + "}",
                    () -> "{}")).get();
            case "update_task" -> in.pick(List.<Supplier<String>>of(
                    () -> "{\"id\": " + in.pick(BAD_INTEGERS) + ", \"updates\": {\"status\": \"blocked\"}}",
                    () -> "{\"id\": " + task + ", \"updates\": " + in.pick(BAD_OBJECTS) + "}",
                    () -> "{\"id\": " + task + "}",
                    () -> "{\"id\": " + task + ", \"updates\": {\"status\": " + in.value() + "}}",
                    () -> "{\"id\": " + task + ", \"updates\": {\"" + in.pick(BadInput.UNKNOWN_FIELDS) + "\": 1}}",
                    () -> "{\"id\": " + task + ", \"updates\": {\"title\": \"x\"}, \"expect\": " + in.pick(BAD_OBJECTS) + "}")).get();
            case "delete_task" -> "{\"id\": " + in.pick(List.of(in.pick(BAD_INTEGERS), "1000000000000", "null")) + "}";
            case "set_instance_state" -> in.pick(List.<Supplier<String>>of(
                    () -> "{\"instance_id\": " + badInstanceId() + ", \"state\": {\"status\": \"busy\"}}",
                    () -> "{\"instance_id\": \"" + instanceId + "\", \"state\": " + in.pick(BAD_OBJECTS) + "}",
                    () -> "{\"instance_id\": \"" + instanceId + "\", \"state\": {\"status\": " + in.value() + "}}",
                    () -> "{\"instance_id\": \"" + instanceId + "\", \"state\": {\"current_task_id\": " + in.pick(BAD_INTEGERS) + "}}")).get();
            case "heartbeat" -> "{\"instance_id\": " + badInstanceId() + "}";
            case "claim_task" -> in.pick(List.<Supplier<String>>of(
                    () -> "{\"id\": " + in.pick(BAD_INTEGERS) + ", \"assignee\": \"w\"}",
                    () -> "{\"id\": " + task + ", \"assignee\": " + badInstanceId() + "}",
                    () -> "{\"id\": " + task + ", \"assignee\": \"w\", \"lease_seconds\": " + in.pick(BAD_INTEGERS) + "}")).get();
            case "claim_next_task" -> in.pick(List.<Supplier<String>>of(
                    () -> "{\"assignee\": " + badInstanceId() + "}",
                    () -> "{\"assignee\": \"w\", \"filters\": " + in.pick(BAD_OBJECTS) + "}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"priority\": " + in.value() + "}}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"" + in.pick(List.of("colour", "status", "Priority", "")) + "\": \"x\"}}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"unassigned_only\": " + in.pick(List.of("\"true\"", "1", "[]")) + "}}",
                    () -> "{\"assignee\": \"w\", \"lease_seconds\": " + in.pick(BAD_INTEGERS) + "}")).get();
            default -> in.pick(List.<Supplier<String>>of(
                    () -> "{\"id\": " + in.pick(BAD_INTEGERS) + ", \"assignee\": \"" + instanceId + "\", \"force\": true}",
                    () -> "{\"id\": " + task + ", \"assignee\": " + in.pick(List.of(in.nonString(), "null", "\"\"", "\"  \"")) + ", \"force\": true}",
                    () -> "{\"id\": " + task + ", \"assignee\": \"" + instanceId + "\", \"force\": " + in.pick(List.of("\"true\"", "1", "[]")) + "}")).get();
        };
        return call("bad arguments", tool, args, true);
    }

    private String badInstanceId() {
        return in.pick(List.of(in.nonString(), "null", "\"\"", "\"  \"", "\"" + "i".repeat(201) + "\"", "\"a\\u0000b\"", "\"a\\nb\""));
    }

    private Probe unknownArgument() {
        String tool = in.pick(in.chance(70) ? WRITE_TOOLS : READ_TOOLS);
        return call("unknown argument", tool, "{\"" + in.pick(BadInput.UNKNOWN_FIELDS) + "\": " + in.value() + "}", true);
    }

    private Probe readWithNastyArguments() {
        String tool = in.pick(READ_TOOLS);
        String args = switch (tool) {
            case "get_task" -> "{\"id\": " + in.pick(List.of(in.pick(BAD_INTEGERS), in.value())) + "}";
            case "get_instance_state" -> "{\"instance_id\": " + in.value() + "}";
            case "query_tasks" -> in.pick(List.of("{\"filters\": " + in.pick(BAD_OBJECTS) + "}",
                    "{\"filters\": {\"" + in.pick(List.of("status", "priority", "assignee", "parent_task_id", "id", "title_contains",
                            "root", "colour")) + "\": " + in.value() + "}}",
                    "{\"limit\": " + in.pick(List.of("0", "-1", "1001", "4294967297", "1.5", "\"10\"")) + "}",
                    "{\"cursor\": " + in.value() + "}"));
            default -> "{}";
        };
        return call("read with nasty arguments", tool, args, false);
    }

    private Probe tooDeep() {
        String deep = in.nested(in.tooDeep(maxDepth));
        return call("too deep", in.pick(List.of("create_task", "update_task", "complete_task")),
                "{\"title\": \"t\", \"metadata\": " + deep + "}", true);
    }

    private Probe hugeArgument(long size) {
        String body = "{\"jsonrpc\": \"2.0\", \"id\": " + nextId + ", \"method\": \"tools/call\", \"params\": {\"name\": \"create_task\", "
                + "\"arguments\": {\"title\": \"" + "h".repeat((int) size) + "\"}}}";
        return new Probe(size > maxBodyBytes ? "argument over the body limit" : "huge argument", "POST", headers(),
                body.getBytes(StandardCharsets.UTF_8), size > maxBodyBytes ? null : nextId++, true);
    }

    private Probe badTransport() {
        Map<String, String> h = headers();
        String method = "POST";
        switch (in.nextInt(6)) {
            case 0 -> h.remove("Mcp-Session-Id");
            case 1 -> h.put("Mcp-Session-Id", in.pick(List.of("nope", "00000000-0000-0000-0000-000000000000", " ", "x".repeat(500))));
            case 2 -> h.put("Content-Type", in.pick(BadInput.WRONG_CONTENT_TYPES));
            case 3 -> h.put("Accept", in.pick(List.of("text/html", "application/json", "text/event-stream", "*/x")));
            case 4 -> method = in.pick(List.of("PUT", "PATCH"));
            default -> h.put("MCP-Protocol-Version", in.pick(List.of("1999-01-01", "x", "2025-06-18; drop")));
        }
        String body = "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"tools/call\", \"params\": {\"name\": \"heartbeat\", "
                + "\"arguments\": {\"instance_id\": \"fuzz-transport\"}}}";
        return new Probe("bad transport", method, h, body.getBytes(StandardCharsets.UTF_8), null, true);
    }
}
