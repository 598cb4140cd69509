package io.taskstate.app.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.TaskStateServer;
import io.taskstate.app.cli.ConnectionOptions;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Topic;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code taskstate mcp}: the MCP server on stdio, for an MCP client to launch
 * ({@code claude mcp add taskstate -- java -jar taskstate.jar mcp}). It talks to a running
 * taskstate; with none configured and none answering on the default address, it starts the
 * embedded default itself (data under {@code ~/.taskstate/data}), so it works on a fresh machine.
 * Only JSON-RPC goes to stdout; logs go to stderr.
 */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = "Serve the MCP tools on stdio (for Claude Desktop, Claude Code and other MCP clients).")
public final class McpCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(McpCommand.class);
    private static final String DEFAULT_URL = "http://127.0.0.1:8080";
    /** How long the answers to the last requests may take once stdin has closed. */
    private static final Duration DRAIN_DEADLINE = Duration.ofSeconds(60);
    /** How long the embedded default may take to be ready before the tools are served anyway. */
    private static final Duration READY_DEADLINE = Duration.ofSeconds(120);
    private static final Duration READY_POLL = Duration.ofMillis(50);

    @Option(names = "--url", paramLabel = "URL", description = "HTTP API of a running taskstate (env TASKSTATE_URL).")
    String url = System.getenv("TASKSTATE_URL");

    @Option(names = "--kafka-bootstrap-servers", paramLabel = "HOSTS",
            description = "Its Kafka cluster, for writes (env KAFKA_BOOTSTRAP_SERVERS; default 127.0.0.1:9092).")
    String bootstrap = System.getenv("KAFKA_BOOTSTRAP_SERVERS");

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Topic prefix (env TASKSTATE_TOPIC_PREFIX).")
    String prefix = System.getenv().getOrDefault("TASKSTATE_TOPIC_PREFIX", Topic.DEFAULT_PREFIX);

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Bearer token for the HTTP API, when it has TASKSTATE_API_TOKENS: a write token (env TASKSTATE_TOKEN).")
    String token = System.getenv("TASKSTATE_TOKEN");

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the embedded default keeps its data, when this command starts it (default ~/.taskstate/data).")
    Path dataDir = Path.of(System.getProperty("user.home"), ".taskstate", "data");

    @Override
    public Integer call() throws Exception {
        TaskStateServer embedded = null;
        if (url == null && bootstrap == null && !answers(DEFAULT_URL, "/health/live")) {
            Map<String, String> settings = new HashMap<>();
            System.getenv().forEach((k, v) -> {
                if (k.startsWith("TASKSTATE_") || k.startsWith("KAFKA_")) {
                    settings.put(k, v);
                }
            });
            settings.putIfAbsent(TaskStateConfig.DATA_DIR, dataDir.toString());
            settings.put(TaskStateConfig.TOPIC_PREFIX, prefix);
            log.info("No taskstate configured or running at {}: starting the embedded default", DEFAULT_URL);
            TaskStateConfig config = TaskStateConfig.from(settings);
            embedded = TaskStateServer.start(config);
            if (token == null) {
                token = config.apiTokens().instanceToken().orElse(null);
            }
            url = embedded.baseUrl();
            bootstrap = embedded.bootstrapServers();
            awaitRunning(embedded);
        }
        StdioDrain stdio = new StdioDrain(DRAIN_DEADLINE);
        try (TaskStateClient client = TaskStateClient.builder()
                .baseUrl(url == null ? DEFAULT_URL : url)
                .bootstrapServers(bootstrap == null ? "127.0.0.1:9092" : bootstrap)
                .topicPrefix(prefix)
                .token(token == null || token.isBlank() ? null : token)
                .kafkaProperties(ConnectionOptions.kafkaFromEnvironment(System.getenv()))
                .build()) {
            McpSyncServer server = new McpTools(client).serve(new StdioServerTransportProvider(
                    McpJsonDefaults.getMapper(), stdio.input(System.in), stdio.output(System.out)));
            stdio.awaitEnd();
            server.closeGracefully();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
        return 0;
    }

    /**
     * Serving before the embedded default is ready (Kafka Streams RUNNING, stores restored,
     * partitions caught up) would fail the host's first reads with 503, and agents often start
     * with one; a fresh embedded default gets there in seconds.
     */
    private static void awaitRunning(TaskStateServer server) throws InterruptedException {
        long until = System.nanoTime() + READY_DEADLINE.toNanos();
        KafkaStreams.State state = server.streamsState();
        while (!answers(server.baseUrl(), "/health/ready")) {
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING || System.nanoTime() > until) {
                log.warn("Kafka Streams is {} after starting the embedded default; serving anyway, reads fail until it runs", state);
                return;
            }
            Thread.sleep(READY_POLL.toMillis());
            state = server.streamsState();
        }
        log.info("The embedded default is ready at {}", server.baseUrl());
    }

    private static boolean answers(String base, String path) {
        try {
            HttpResponse<Void> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build().send(
                    HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
