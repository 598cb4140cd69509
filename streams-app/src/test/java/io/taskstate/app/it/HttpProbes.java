package io.taskstate.app.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Generates malformed HTTP requests for every route of the API. Each request that could change
 * state is malformed by construction (a broken body, a wrong content type, a bad id, an invalid or
 * unknown field, a failed {@code expect}), so the app must refuse it; reads may also be answered.
 */
final class HttpProbes {
    /** One request: what it tries, and whether the app must refuse it (a write) or may answer it (a read). */
    record Probe(String kind, String method, String path, Map<String, String> headers, byte[] body, boolean chunked,
                 boolean mustFail) {
        @Override
        public String toString() {
            String shown = body == null ? "" : new String(body, 0, Math.min(body.length, 160), StandardCharsets.UTF_8);
            return kind + ": " + method + " " + (path.length() > 160 ? path.substring(0, 160) + "..." : path) + " " + headers
                    + (body == null ? "" : " [" + body.length + " bytes" + (chunked ? ", chunked" : "") + "] " + shown);
        }
    }

    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "FROB");
    private static final String JSON = "application/json";

    private final BadInput in;
    private final List<Long> taskIds;
    private final String instanceId;
    private final long maxBodyBytes;
    private final int maxDepth;

    /**
     * @param taskIds    existing tasks, targets of malformed writes (none of which may change them)
     * @param instanceId an existing instance, likewise
     */
    HttpProbes(BadInput in, List<Long> taskIds, String instanceId, long maxBodyBytes, int maxDepth) {
        this.in = in;
        this.taskIds = taskIds;
        this.instanceId = instanceId;
        this.maxBodyBytes = maxBodyBytes;
        this.maxDepth = maxDepth;
    }

    /** {@code count} probes of the ordinary kinds, plus a few oversized bodies of each kind. */
    List<Probe> generate(int count) {
        List<Probe> probes = new ArrayList<>();
        List<Supplier<Probe>> kinds = List.of(this::wrongMethod, this::badTaskId, this::badInstanceId, this::brokenJson,
                this::wrongContentType, this::tooDeep, this::invalidField, this::unknownField, this::failedExpect,
                this::badQuery, this::badIdempotencyKey, this::notUtf8);
        for (int i = 0; i < count; i++) {
            probes.add(in.pick(kinds).get());
        }
        for (int i = 0; i < 6; i++) {
            probes.add(tooLarge(false));
            probes.add(tooLarge(true));
            probes.add(nearLimit());
        }
        return probes;
    }

    // ---- the routes

    private record Route(String method, String template, boolean readsBody) {
    }

    private static final List<Route> WRITES = List.of(
            new Route("POST", "/api/v1/tasks", true),
            new Route("PATCH", "/api/v1/tasks/{task}", true),
            new Route("POST", "/api/v1/tasks/claim", true),
            new Route("POST", "/api/v1/tasks/{task}/claim", true),
            new Route("POST", "/api/v1/tasks/{task}/release", true),
            new Route("POST", "/api/v1/tasks/{task}/complete", true),
            new Route("POST", "/api/v1/tasks/{task}/renew", true),
            new Route("PUT", "/api/v1/instances/{instance}/state", true),
            new Route("POST", "/api/v1/instances/{instance}/heartbeat", true),
            new Route("POST", "/internal/v1/tasks/claimable", true));

    private static final List<String> PATHS = List.of(
            "/api/v1/tasks", "/api/v1/tasks/{task}", "/api/v1/tasks/claim", "/api/v1/tasks/{task}/claim",
            "/api/v1/tasks/{task}/release", "/api/v1/tasks/{task}/complete", "/api/v1/tasks/{task}/renew",
            "/api/v1/tasks/{task}/history", "/api/v1/instances", "/api/v1/instances/{instance}",
            "/api/v1/instances/{instance}/state", "/api/v1/instances/{instance}/heartbeat", "/api/v1/admin/check",
            "/api/v1/stats", "/internal/v1/check", "/internal/v1/tasks", "/internal/v1/tasks/{task}",
            "/internal/v1/tasks/claimable", "/internal/v1/instances", "/internal/v1/instances/{instance}",
            "/health/live", "/health/ready", "/api/v2/tasks", "/api/v1/", "/", "/api/v1/tasks/{task}/claim/extra");

    /** The methods each path answers; any other is a wrong method. */
    private static Set<String> allowed(String template) {
        return switch (template) {
            case "/api/v1/tasks" -> Set.of("GET", "POST");
            case "/api/v1/tasks/{task}" -> Set.of("GET", "PATCH", "DELETE");
            case "/api/v1/tasks/claim", "/api/v1/tasks/{task}/claim", "/api/v1/tasks/{task}/release",
                 "/api/v1/tasks/{task}/complete", "/api/v1/tasks/{task}/renew", "/api/v1/instances/{instance}/heartbeat",
                 "/internal/v1/tasks/claimable" -> Set.of("POST");
            case "/api/v1/instances/{instance}/state" -> Set.of("PUT");
            case "/api/v1/instances", "/api/v1/instances/{instance}", "/api/v1/admin/check", "/internal/v1/check",
                 "/api/v1/tasks/{task}/history", "/api/v1/stats",
                 "/internal/v1/tasks", "/internal/v1/tasks/{task}", "/internal/v1/instances",
                 "/internal/v1/instances/{instance}", "/health/live", "/health/ready", "/" -> Set.of("GET");
            default -> Set.of();
        };
    }

    private String path(String template) {
        return template.replace("{task}", Long.toString(in.pick(taskIds))).replace("{instance}", instanceId);
    }

    private Probe probe(String kind, String method, String path, String contentType, byte[] body, boolean mustFail) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return new Probe(kind, method, path, headers, body, false, mustFail);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- the kinds of malformed request

    private Probe wrongMethod() {
        String template = in.pick(PATHS);
        List<String> wrong = METHODS.stream().filter(m -> !allowed(template).contains(m)).toList();
        String method = in.pick(wrong);
        byte[] body = method.equals("GET") || method.equals("OPTIONS") || method.equals("TRACE") || in.chance(30)
                ? null : utf8(in.junkObject());
        return probe("wrong method", method, path(template), body == null ? null : JSON, body, true);
    }

    private Probe badTaskId() {
        String template = in.pick(PATHS.stream().filter(p -> p.contains("{task}")).toList());
        List<String> methods = new ArrayList<>(allowed(template));
        String method = methods.isEmpty() ? "GET" : in.pick(methods.stream().sorted().toList());
        String path = template.replace("{task}", in.pick(BadInput.BAD_TASK_IDS)).replace("{instance}", instanceId);
        byte[] body = method.equals("GET") || method.equals("DELETE") ? null : utf8(validBody(template));
        return probe("bad task id", method, path, body == null ? null : JSON, body, true);
    }

    private Probe badInstanceId() {
        String template = in.pick(List.of("/api/v1/instances/{instance}", "/api/v1/instances/{instance}/state",
                "/api/v1/instances/{instance}/heartbeat", "/internal/v1/instances/{instance}"));
        String method = in.pick(allowed(template).stream().sorted().toList());
        String path = template.replace("{instance}", in.pick(BadInput.BAD_INSTANCE_IDS));
        byte[] body = method.equals("GET") ? null : utf8(method.equals("PUT") ? "{\"status\": \"busy\"}" : "");
        return probe("bad instance id", method, path, body == null ? null : JSON, body, true);
    }

    private Probe brokenJson() {
        Route route = in.pick(bodyRoutes());
        String body = in.chance(50) ? in.pick(BadInput.BROKEN_JSON) : in.truncated(validBody(route.template()));
        if (body.isEmpty() && route.template().endsWith("/heartbeat")) {
            body = "{"; // no body at all is a heartbeat's usual form
        }
        return probe("broken JSON", route.method(), path(route.template()), JSON, utf8(body), true);
    }

    private Probe notUtf8() {
        Route route = in.pick(bodyRoutes());
        return probe("not UTF-8 JSON", route.method(), path(route.template()), JSON, in.notUtf8(), true);
    }

    private Probe wrongContentType() {
        Route route = in.pick(bodyRoutes());
        return probe("wrong content type", route.method(), path(route.template()), in.pick(BadInput.WRONG_CONTENT_TYPES),
                utf8(validBody(route.template())), true);
    }

    private Probe tooDeep() {
        Route route = in.pick(bodyRoutes());
        String deep = in.nested(in.tooDeep(maxDepth));
        String field = route.template().endsWith("/state") ? "metadata" : route.template().endsWith("claim") ? "filters"
                : "metadata";
        String body = in.chance(20) ? deep : "{\"" + field + "\": " + deep + "}";
        return probe("too deep", route.method(), path(route.template()), JSON, utf8(body), true);
    }

    private Probe invalidField() {
        Route route = in.pick(bodyRoutes());
        String template = route.template();
        String body;
        if (template.equals("/api/v1/tasks")) {
            body = in.pick(List.<Supplier<String>>of(
                    () -> "{\"title\": " + in.pick(List.of(in.nonString(), "null")) + "}",
                    () -> "{\"title\": " + in.pick(List.of("\"\"", "\" \"", "null", "\"" + "t".repeat(501) + "\"")) + "}",
                    () -> "{\"title\": " + in.pick(BadInput.STRINGS) + ", \"status\": " + in.value() + "}",
                    () -> "{\"title\": " + in.pick(BadInput.STRINGS) + ", \"priority\": " + in.value() + "}",
                    () -> "{\"title\": \"t\", \"parent_task_id\": " + nonTaskId() + "}",
                    () -> "{\"title\": \"t\", \"metadata\": " + in.pick(List.of("[]", "\"x\"", "1", "true", "[{}]")) + "}",
                    () -> "{\"title\": \"t\", \"metadata\": {\"big\": \"" + "m".repeat(70_000) + "\"}}",
                    () -> "{\"title\": \"t\", \"description\": " + in.pick(List.of(in.nonString(), "\"" + "d".repeat(70_000) + "\"")) + "}",
                    () -> "{\"title\": \"t\", \"assignee\": " + in.pick(List.of(in.nonString(), "\"" + "a".repeat(501) + "\"")) + "}",
                    () -> in.junkObject())).get();
        } else if (template.equals("/api/v1/tasks/{task}")) {
            body = in.pick(List.<Supplier<String>>of(
                    () -> "{\"title\": " + in.pick(List.of(in.nonString(), "\"\"", "\"" + "t".repeat(501) + "\"")) + "}",
                    () -> "{\"status\": " + in.value() + "}",
                    () -> "{\"priority\": " + in.value() + "}",
                    () -> "{\"parent_task_id\": " + nonTaskId() + "}",
                    () -> "{\"metadata\": " + in.pick(List.of("[]", "\"x\"", "1", "true")) + "}",
                    () -> "{\"assignee\": " + in.nonString() + "}",
                    () -> "{\"title\": \"t\", \"expect\": " + in.pick(List.of("[]", "\"pending\"", "1", "true")) + "}")).get();
        } else if (template.equals("/api/v1/tasks/claim") || template.equals("/internal/v1/tasks/claimable")) {
            body = in.pick(List.<Supplier<String>>of(
                    () -> "{\"assignee\": " + in.pick(List.of(in.nonString(), "null", "\"\"", "\" \"")) + "}",
                    () -> "{\"assignee\": \"w\", \"lease_seconds\": " + badLease() + "}",
                    () -> "{\"assignee\": \"w\", \"filters\": " + in.pick(List.of("[]", "\"x\"", "1", "true")) + "}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"priority\": " + in.value() + "}}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"parent_task_id\": " + in.pick(List.of("\"1\"", "1.5", "1e309", "[]", "true")) + "}}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"unassigned_only\": " + in.pick(List.of("\"true\"", "1", "[]", "{}")) + "}}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"title_contains\": " + in.nonString() + "}}",
                    () -> "{\"assignee\": \"w\", \"filters\": {\"metadata\": " + in.pick(List.of("[]", "\"x\"", "1")) + "}}",
                    () -> "{\"assignee\": \"w\", \"filters\": " + in.junkObject() + "}")).get();
            if (template.startsWith("/internal") && !body.contains("filters")) {
                body = "{\"filters\": " + in.pick(List.of("[]", "\"x\"", "1", in.junkObject())) + "}";
            }
        } else if (template.endsWith("/state")) {
            body = in.pick(List.<Supplier<String>>of(
                    () -> "{\"status\": " + in.value() + "}",
                    () -> "{\"current_task_id\": " + nonTaskId() + "}",
                    () -> "{\"working_directory\": " + in.pick(List.of(in.nonString(), "\"" + "w".repeat(5_000) + "\"")) + "}",
                    () -> "{\"metadata\": " + in.pick(List.of("[]", "\"x\"", "1", "true")) + "}")).get();
        } else if (template.endsWith("/heartbeat")) {
            body = in.junkObject();
        } else {
            body = in.pick(List.<Supplier<String>>of(
                    () -> "{\"assignee\": " + in.pick(List.of(in.nonString(), "\"\"", "\" \"", "\"" + "a".repeat(501) + "\"")) + "}",
                    () -> "{\"assignee\": \"" + instanceId + "\", \"lease_seconds\": " + badLease() + ", \"force\": true}",
                    () -> "{\"assignee\": \"" + instanceId + "\", \"force\": " + in.pick(List.of("\"true\"", "1", "[]")) + "}",
                    () -> "{\"assignee\": \"" + instanceId + "\", \"force\": true, \"metadata\": " + in.pick(List.of("[]", "\"x\"", "1")) + "}")).get();
            if (template.endsWith("/renew") || template.endsWith("/claim")) {
                body = in.chance(50) ? "{\"assignee\": \"" + instanceId + "\", \"lease_seconds\": " + badLease() + "}"
                        : "{\"assignee\": " + in.pick(List.of(in.nonString(), "\"\"", "\" \"", "\"" + "a".repeat(501) + "\"")) + "}";
            }
        }
        return probe("invalid field", route.method(), path(template), JSON, utf8(body), true);
    }

    private Probe unknownField() {
        Route route = in.pick(bodyRoutes());
        String valid = validBody(route.template());
        String extra = "\"" + in.pick(BadInput.UNKNOWN_FIELDS) + "\": " + in.value();
        String body = valid.equals("{}") ? "{" + extra + "}" : valid.substring(0, valid.length() - 1) + ", " + extra + "}";
        return probe("unknown field", route.method(), path(route.template()), JSON, utf8(body), true);
    }

    private Probe failedExpect() {
        String body = "{\"title\": " + in.pick(BadInput.STRINGS) + ", \"expect\": {\""
                + in.pick(List.of("status", "assignee", "title", "priority", "colour")) + "\": " + in.value() + "}}";
        return probe("failed expect", "PATCH", path("/api/v1/tasks/{task}"), JSON, utf8(body), true);
    }

    private Probe badQuery() {
        String path = in.pick(List.of("/api/v1/tasks", "/api/v1/instances", "/internal/v1/tasks", "/api/v1/admin/check",
                "/api/v1/tasks/" + in.pick(taskIds)));
        String name = in.pick(List.of("status", "priority", "assignee", "parent_task_id", "root", "title_contains",
                "description_contains", "limit", "cursor", "active", "allow_stale", "colour", "%00", "limit%00", "a".repeat(300)));
        String value = in.pick(List.of("", "0", "-1", "1001", "99999999999", "1e3", "abc", "%00", "%27%20OR%201=1--",
                "%F0%9F%98%80", "%C3%28", "true", "maybe", "done", "PENDING", "x".repeat(5_000), "%22%3Cscript%3E",
                "eyJjcmVhdGVkX2F0IjoxfQ", "AAAA", "%2F..%2F..", "1&limit=2&limit=3"));
        return probe("bad query", "GET", path + "?" + name + "=" + value, null, null, false);
    }

    private Probe badIdempotencyKey() {
        Route route = in.pick(WRITES.stream().filter(r -> !r.template().startsWith("/internal")).toList());
        Probe probe = probe("bad Idempotency-Key", route.method(), path(route.template()), JSON,
                utf8(route.readsBody() ? validBody(route.template()) : ""), true);
        probe.headers().put("Idempotency-Key", in.chance(50) ? " " : "k".repeat(201 + in.nextInt(5_000)));
        return probe;
    }

    private Probe tooLarge(boolean chunked) {
        Route route = in.pick(bodyRoutes());
        int size = (int) maxBodyBytes + 1 + in.nextInt((int) maxBodyBytes);
        String body = "{\"title\": \"" + "x".repeat(size) + "\"}";
        return new Probe(chunked ? "too large, chunked" : "too large", route.method(), path(route.template()),
                new LinkedHashMap<>(Map.of("Content-Type", JSON)), utf8(body), chunked, true);
    }

    /** Just under the body limit: parsed, and refused by what it says (a title far too long, an unknown field). */
    private Probe nearLimit() {
        Route route = in.pick(bodyRoutes());
        int size = (int) maxBodyBytes - 64 - in.nextInt(64);
        String field = in.chance(50) ? "title" : "unknown_field";
        String body = "{\"" + field + "\": \"" + "y".repeat(size) + "\"}";
        return probe("near the limit", route.method(), path(route.template()), JSON, utf8(body), true);
    }

    // ---- helpers

    private List<Route> bodyRoutes() {
        return WRITES.stream().filter(Route::readsBody).toList();
    }

    /** A body the route would accept; the kinds above break it. */
    private String validBody(String template) {
        return switch (template) {
            case "/api/v1/tasks" -> "{\"title\": \"fuzz\", \"priority\": \"high\", \"metadata\": {\"k\": 1}}";
            case "/api/v1/tasks/{task}" -> "{\"status\": \"blocked\"}";
            case "/api/v1/tasks/claim" -> "{\"assignee\": \"fuzz-worker\", \"filters\": {\"priority\": \"low\"}}";
            case "/internal/v1/tasks/claimable" -> "{\"filters\": {\"priority\": \"low\"}}";
            case "/api/v1/tasks/{task}/claim", "/api/v1/tasks/{task}/renew" -> "{\"assignee\": \"fuzz-worker\", \"lease_seconds\": 60}";
            case "/api/v1/tasks/{task}/release", "/api/v1/tasks/{task}/complete" -> "{\"assignee\": \"" + instanceId + "\", \"force\": true}";
            case "/api/v1/instances/{instance}/state" -> "{\"status\": \"busy\"}";
            default -> "{}";
        };
    }

    private String nonTaskId() {
        return in.chance(20) ? "1000000000000" : in.nonId();
    }

    private String badLease() {
        return in.pick(List.of("0", "-1", "604801", "1.5", "\"60\"", "1e309", "9223372036854775808", "[]", "{}", "true"));
    }
}
