package io.taskstate.app.mcp;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.TaskStateServer;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Topic;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

    @Option(names = "--url", paramLabel = "URL", description = "HTTP API of a running taskstate (env TASKSTATE_URL).")
    String url = System.getenv("TASKSTATE_URL");

    @Option(names = "--kafka-bootstrap-servers", paramLabel = "HOSTS",
            description = "Its Kafka cluster, for writes (env KAFKA_BOOTSTRAP_SERVERS; default 127.0.0.1:9092).")
    String bootstrap = System.getenv("KAFKA_BOOTSTRAP_SERVERS");

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Topic prefix (env TASKSTATE_TOPIC_PREFIX).")
    String prefix = System.getenv().getOrDefault("TASKSTATE_TOPIC_PREFIX", Topic.DEFAULT_PREFIX);

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the embedded default keeps its data, when this command starts it (default ~/.taskstate/data).")
    Path dataDir = Path.of(System.getProperty("user.home"), ".taskstate", "data");

    @Override
    public Integer call() throws Exception {
        TaskStateServer embedded = null;
        if (url == null && bootstrap == null && !answers(DEFAULT_URL)) {
            Map<String, String> settings = new HashMap<>();
            System.getenv().forEach((k, v) -> {
                if (k.startsWith("TASKSTATE_") || k.startsWith("KAFKA_")) {
                    settings.put(k, v);
                }
            });
            settings.putIfAbsent(TaskStateConfig.DATA_DIR, dataDir.toString());
            log.info("No taskstate configured or running at {}: starting the embedded default", DEFAULT_URL);
            embedded = TaskStateServer.start(TaskStateConfig.from(settings));
            url = embedded.baseUrl();
            bootstrap = embedded.bootstrapServers();
        }
        CountDownLatch stdinClosed = new CountDownLatch(1);
        try (TaskStateClient client = TaskStateClient.builder()
                .baseUrl(url == null ? DEFAULT_URL : url)
                .bootstrapServers(bootstrap == null ? "127.0.0.1:9092" : bootstrap)
                .topicPrefix(prefix)
                .build()) {
            InputStream in = new FilterInputStream(System.in) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (n < 0) {
                        stdinClosed.countDown();
                    }
                    return n;
                }

                @Override
                public int read() throws IOException {
                    int c = super.read();
                    if (c < 0) {
                        stdinClosed.countDown();
                    }
                    return c;
                }
            };
            McpSyncServer server = new McpTools(client).serve(
                    new StdioServerTransportProvider(McpJsonDefaults.getMapper(), in, System.out));
            stdinClosed.await();
            server.closeGracefully();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
        return 0;
    }

    private static boolean answers(String base) {
        try {
            HttpResponse<Void> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build().send(
                    HttpRequest.newBuilder(URI.create(base + "/health/live")).timeout(Duration.ofSeconds(2)).build(),
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
