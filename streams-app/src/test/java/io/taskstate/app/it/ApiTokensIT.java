package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.Main;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.http.ApiServer;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Task;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * With {@code TASKSTATE_API_TOKENS} set, every API, internal and MCP route needs a bearer token of
 * the right role, health stays open, instances forward to each other with a token, and no token
 * ever shows in an answer or a log line.
 */
@ExtendWith(KafkaBroker.class)
class ApiTokensIT {
    private static final String READ = "read-" + UUID.randomUUID();
    private static final String WRITE = "write-" + UUID.randomUUID();
    private static final String ADMIN = "admin-" + UUID.randomUUID();
    private static final String WRONG = "wrong-" + UUID.randomUUID();
    private static final List<String> SECRETS = List.of(READ, WRITE, ADMIN, WRONG);
    private static final Map<String, String> TOKENS = Map.of(TaskStateConfig.API_TOKENS,
            "read:" + READ + ",write:" + WRITE + ",admin:" + ADMIN);

    private static final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private static Level appLevel;
    private static RunningApp app;

    @BeforeAll
    static void start() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger ours = (Logger) LoggerFactory.getLogger("io.taskstate");
        appLevel = ours.getLevel();
        ours.setLevel(Level.INFO); // the start-up line with the configuration is INFO
        logs.start();
        root.addAppender(logs);
        app = RunningApp.start(2, TOKENS);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        ((Logger) LoggerFactory.getLogger("io.taskstate")).setLevel(appLevel);
    }

    @AfterEach
    void no_token_was_logged() {
        List<String> lines = new ArrayList<>();
        synchronized (logs) {
            for (ILoggingEvent e : new ArrayList<>(logs.list)) {
                lines.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())));
            }
        }
        assertThat(lines).isNotEmpty();
        for (String secret : SECRETS) {
            assertThat(lines).noneMatch(line -> line.contains(secret));
        }
    }

    @Test
    void the_start_up_log_says_tokens_are_on_without_showing_them() {
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(line -> line.contains("apiTokens=3 (read 1, write 1, admin 1; values masked)"))
                .anyMatch(line -> line.contains("bearer tokens required"));
    }

    @Test
    void listening_on_every_address_warns_loudly_only_while_tokens_are_off() {
        // Given one start on every address without tokens, and one with
        RunningApp.start(1, Map.of(TaskStateConfig.HTTP_HOST, "0.0.0.0")).close();
        RunningApp.start(1, with(TOKENS, TaskStateConfig.HTTP_HOST, "0.0.0.0")).close();

        // Then only the first warned, and the second said tokens are required
        List<String> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("SECURITY WARNING")).toList();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("0.0.0.0", "authentication is OFF", "TASKSTATE_API_TOKENS");
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.contains("listens on 0.0.0.0") && m.contains("bearer tokens required"));
    }

    @Test
    void a_request_without_a_token_is_401_problem_details_with_a_bearer_challenge() {
        Http.Response r = new Http(app.baseUrl()).get("/api/v1/tasks");

        assertThat(r.status()).isEqualTo(401);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(r.body().get("status").asInt()).isEqualTo(401);
        assertThat(r.body().get("detail").asText()).contains("Authorization: Bearer");
    }

    @Test
    void a_token_that_is_not_configured_is_401_and_not_echoed() {
        Http.Response r = new Http(app.baseUrl(), WRONG).post("/api/v1/tasks", "{\"title\":\"nope\"}");

        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body().get("detail").asText()).contains("not one this server accepts");
        assertNoSecret(r);
    }

    @Test
    void another_scheme_than_bearer_is_401() {
        Http.Response r = new Http(app.baseUrl()).send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/v1/tasks"))
                .header("Authorization", "Basic " + READ).GET());

        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body().get("detail").asText()).isEqualTo("The Authorization header must be 'Bearer <token>'");
        assertNoSecret(r);
    }

    @Test
    void a_read_token_may_query_but_not_write() {
        Http reader = new Http(app.baseUrl(), READ);

        Http.Response write = reader.post("/api/v1/tasks", "{\"title\":\"not with a read token\"}");
        Http.Response query = reader.get("/api/v1/tasks?title_contains=not%20with%20a%20read");

        assertThat(write.status()).isEqualTo(403);
        assertThat(write.contentType()).startsWith("application/problem+json");
        assertThat(write.body().get("detail").asText())
                .isEqualTo("A token of role read may not POST /api/v1/tasks: that needs role write or stronger");
        assertNoSecret(write);
        assertThat(query.status()).isEqualTo(200);
        assertThat(query.body().get("tasks")).isEmpty();
    }

    @Test
    void a_write_token_writes_and_reads() {
        Http writer = new Http(app.baseUrl(), WRITE);

        Http.Response created = writer.post("/api/v1/tasks", "{\"title\":\"written with a token\"}");
        long id = created.body().get("id").asLong();
        Http.Response claimed = writer.post("/api/v1/tasks/" + id + "/claim", "{\"assignee\":\"w1\"}");
        Http.Response read = new Http(app.baseUrl(), READ).get("/api/v1/tasks/" + id);

        assertThat(created.status()).isEqualTo(201);
        assertThat(claimed.status()).isEqualTo(200);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body().get("assignee").asText()).isEqualTo("w1");
    }

    @Test
    void heartbeats_and_instance_state_need_write() {
        Http.Response withRead = new Http(app.baseUrl(), READ).post("/api/v1/instances/tok-worker/heartbeat", "{}");
        Http.Response withWrite = new Http(app.baseUrl(), WRITE).post("/api/v1/instances/tok-worker/heartbeat", "{}");

        assertThat(withRead.status()).isEqualTo(403);
        assertThat(withWrite.status()).isEqualTo(200);
    }

    @Test
    void the_admin_check_needs_an_admin_token() {
        Http.Response withWrite = new Http(app.baseUrl(), WRITE).get("/api/v1/admin/check");
        Http.Response withAdmin = new Http(app.baseUrl(), ADMIN).get("/api/v1/admin/check");

        assertThat(withWrite.status()).isEqualTo(403);
        assertThat(withWrite.body().get("detail").asText()).contains("needs role admin");
        assertThat(withAdmin.status()).isEqualTo(200);
        assertThat(withAdmin.body().get("consistent").asBoolean()).isTrue();
    }

    @Test
    void internal_routes_need_a_token_too() {
        assertThat(new Http(app.baseUrl()).get("/internal/v1/tasks").status()).isEqualTo(401);
        assertThat(new Http(app.baseUrl(), READ).get("/internal/v1/tasks").status()).isEqualTo(200);
        assertThat(new Http(app.baseUrl(), READ).get("/internal/v1/check").status()).isEqualTo(403);
    }

    @Test
    void health_stays_open() {
        assertThat(new Http(app.baseUrl()).get("/health/live").status()).isEqualTo(200);
        assertThat(new Http(app.baseUrl()).get("/health/ready").status()).isEqualTo(200);
    }

    @Test
    void mcp_over_http_needs_a_write_token() {
        Http.Response anonymous = new Http(app.baseUrl()).post(ApiServer.MCP_PATH, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
        Http.Response reader = new Http(app.baseUrl(), READ).post(ApiServer.MCP_PATH, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");

        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.contentType()).startsWith("application/problem+json");
        assertThat(anonymous.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(reader.status()).isEqualTo(403);
        assertNoSecret(reader);

        try (McpHttpClient mcp = new McpHttpClient(app.baseUrl(), WRITE)) {
            mcp.initialize();
            JsonNode task = mcp.ok("create_task", "{\"title\": \"via mcp with a token\"}");
            JsonNode found = mcp.ok("get_task", "{\"id\": " + task.get("id").asLong() + "}");
            JsonNode next = mcp.ok("claim_next_task", "{\"assignee\": \"mcp-worker\"}");

            assertThat(found.get("title").asText()).isEqualTo("via mcp with a token");
            assertThat(next.isNull()).isFalse(); // claim-next goes through the HTTP API: the server's own client has a token
        }
    }

    @Test
    void taskstate_mcp_on_stdio_sends_its_token(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("mcp.log");
        try (McpStdioClient mcp = McpStdioClient.launch(log, List.of(), List.of("--url", app.baseUrl(),
                "--kafka-bootstrap-servers", app.server().bootstrapServers(), "--topic-prefix", app.topicPrefix(),
                "--token", WRITE), null)) {
            mcp.initialize();
            long id = mcp.ok("create_task", "{\"title\": \"stdio with a token\"}").get("id").asLong();

            JsonNode found = mcp.ok("get_task", "{\"id\": " + id + "}");
            JsonNode listed = mcp.ok("query_tasks", "{\"filters\": {\"title_contains\": \"stdio with a token\"}}");

            assertThat(found.get("title").asText()).isEqualTo("stdio with a token");
            assertThat(listed).hasSize(1);
        }
        assertThat(Files.readString(log)).doesNotContain(WRITE);
    }

    @Test
    void the_sdk_reads_with_its_token_and_gets_a_clear_error_without() {
        try (TaskStateClient withToken = client(WRITE); TaskStateClient without = client(null)) {
            Task created = withToken.createTask(NewTask.titled("sdk with a token"));

            assertThat(withToken.getTask(created.id()).title()).isEqualTo("sdk with a token");
            assertThatThrownBy(() -> without.getTask(created.id()))
                    .isInstanceOf(TaskStateException.class)
                    .hasMessageContaining("401")
                    .hasMessageContaining("bearer token");
        }
    }

    @Test
    void the_cli_sends_its_token() {
        Task created;
        try (TaskStateClient writer = client(WRITE)) {
            created = writer.createTask(NewTask.titled("cli with a token"));
        }
        List<String> get = List.of("task", "get", Long.toString(created.id()), "--json", "--url", app.baseUrl(),
                "--kafka-bootstrap-servers", app.server().bootstrapServers(), "--topic-prefix", app.topicPrefix());
        List<String> withToken = new ArrayList<>(get);
        withToken.addAll(List.of("--token", READ));

        Cli authorized = cli(withToken);
        Cli anonymous = cli(get);

        assertThat(authorized.exit()).as(authorized.err()).isZero();
        assertThat(authorized.out()).contains("cli with a token");
        assertThat(anonymous.exit()).isNotZero();
        assertThat(anonymous.err()).contains("401").contains("bearer token");
    }

    @Test
    void two_instances_forward_to_each_other_with_tokens() {
        // a pair of its own: the shared app would have partitions to take back when the second one stops
        try (RunningApp first = RunningApp.start(2, TOKENS);
             RunningApp second = RunningApp.start(2, sameApp(first))) {
            // Given tasks on both partitions
            Http a = new Http(first.baseUrl(), WRITE);
            List<Long> ids = new ArrayList<>();
            for (int n = 0; n < 6; n++) {
                int i = n;
                ids.add(await().atMost(Duration.ofSeconds(60)).until(
                        () -> a.post("/api/v1/tasks", "{\"title\":\"forwarded " + i + "\"}"), r -> r.status() == 201)
                        .body().get("id").asLong());
            }
            // When each instance holds one partition
            await("both instances own a partition").atMost(Duration.ofSeconds(60)).until(() ->
                    first.server().localPartitions() == 1 && second.server().localPartitions() == 1
                    && new Http(second.baseUrl()).get("/health/ready").status() == 200
                    && new Http(first.baseUrl()).get("/health/ready").status() == 200);

            // Then a read token on either instance reads every task, forwarded or not, and the fanned-out list
            for (RunningApp instance : List.of(first, second)) {
                Http reader = new Http(instance.baseUrl(), READ);
                for (long id : ids) {
                    Http.Response r = await().atMost(Duration.ofSeconds(60))
                            .until(() -> reader.get("/api/v1/tasks/" + id), x -> x.status() != 503);
                    assertThat(r.status()).as("task %d on %s: %s", id, instance.baseUrl(), r.body()).isEqualTo(200);
                }
                Http.Response list = await().atMost(Duration.ofSeconds(60))
                        .until(() -> reader.get("/api/v1/tasks?title_contains=forwarded&limit=100"), x -> x.status() != 503);
                assertThat(list.status()).as("%s", list.body()).isEqualTo(200);
                Set<Long> listed = new HashSet<>();
                list.body().get("tasks").forEach(t -> listed.add(t.get("id").asLong()));
                assertThat(listed).containsExactlyInAnyOrderElementsOf(ids);
                Http.Response check = new Http(instance.baseUrl(), ADMIN).get("/api/v1/admin/check");
                assertThat(check.status()).as("%s", check.body()).isEqualTo(200);
            }
        }
    }

    private static Map<String, String> with(Map<String, String> base, String name, String value) {
        Map<String, String> settings = new java.util.HashMap<>(base);
        settings.put(name, value);
        return settings;
    }

    private static Map<String, String> sameApp(RunningApp first) {
        Map<String, String> settings = new java.util.HashMap<>(TOKENS);
        settings.put(TaskStateConfig.TOPIC_PREFIX, first.topicPrefix());
        settings.put(TaskStateConfig.APPLICATION_ID, first.topicPrefix().replace(".", ""));
        return settings;
    }

    private static void assertNoSecret(Http.Response r) {
        String text = new String(r.raw().body(), java.nio.charset.StandardCharsets.UTF_8) + r.raw().headers().map();
        for (String secret : SECRETS) {
            assertThat(text).doesNotContain(secret);
        }
    }

    private static TaskStateClient client(String token) {
        return TaskStateClient.builder()
                .bootstrapServers(app.server().bootstrapServers())
                .baseUrl(app.baseUrl())
                .topicPrefix(app.topicPrefix())
                .timeout(Duration.ofSeconds(20))
                .token(token)
                .build();
    }

    private record Cli(int exit, String out, String err) {
    }

    private static Cli cli(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args.toArray(String[]::new));
        return new Cli(exit, out.toString(), err.toString());
    }
}
