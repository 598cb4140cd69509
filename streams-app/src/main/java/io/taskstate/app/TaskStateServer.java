package io.taskstate.app;

import io.taskstate.app.broker.EmbeddedKafka;
import io.modelcontextprotocol.server.McpSyncServer;
import io.taskstate.app.http.ApiServer;
import io.taskstate.app.mcp.McpTools;
import io.taskstate.app.query.Restorations;
import io.taskstate.app.rocksdb.BoundedMemoryRocksDBConfig;
import io.taskstate.app.query.TaskQueries;
import io.taskstate.app.tasks.ClaimQueues;
import io.taskstate.app.tasks.CommandMeters;
import io.taskstate.app.tasks.Progress;
import io.taskstate.app.tasks.TopologyBuilder;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running taskstate: the embedded broker when no cluster is configured, the topics, the
 * Kafka Streams app and the HTTP API. {@link #close()} stops them in reverse order: HTTP first
 * (in-flight requests finish), then Streams (leaving its group), the embedded broker last.
 */
public final class TaskStateServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskStateServer.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration GROUP_CHECK_TIMEOUT = Duration.ofSeconds(5);

    private final TaskStateConfig config;
    private EmbeddedKafka broker;
    private TaskStateClient writer;
    private TaskStateClient mcpClient;
    private McpSyncServer mcp;
    private Admin queryAdmin;
    private volatile TaskQueries queries;
    private ApiServer api;
    private KafkaStreams streams;
    private final Metrics metrics = new Metrics();
    private int httpPort;

    private TaskStateServer(TaskStateConfig config) {
        this.config = config;
    }

    /** Starts everything; on failure stops whatever had started and rethrows. */
    public static TaskStateServer start(TaskStateConfig config) {
        TaskStateServer server = new TaskStateServer(config);
        try {
            server.startAll();
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
            throw new IllegalStateException("Interrupted while starting", e);
        }
    }

    private void startAll() throws InterruptedException {
        TaskStateConfig c = config;
        if (c.embedded()) {
            broker = EmbeddedKafka.start(c.dataDir(), c.embeddedKafkaPort(), c.embeddedControllerPort());
            c = c.withBootstrapServers(broker.bootstrapServers());
        }
        String bootstrap = c.bootstrapServers().orElseThrow();
        try (Admin admin = Admin.create(clientProperties(c))) {
            Topics.ensure(admin, c);
        }
        writer = TaskStateClient.builder()
                .bootstrapServers(bootstrap)
                .clientId(c.applicationId() + "-http-" + UUID.randomUUID())
                .checkDependencies(false)
                .topicPrefix(c.topicPrefix())
                .timeout(c.commandTimeout())
                .kafkaProperties(c.kafka())
                .build();
        api = new ApiServer(c.httpHost(), c.httpPort(), writer, c.commandTimeout(), c.apiTokens(), c.maxBodyBytes(),
                metrics.registry(), c.metricsAuth() == TaskStateConfig.MetricsAuth.READ);
        api.attachEvents(clientProperties(c), c.topic(Topic.EVENTS), c.partitions());
        httpPort = api.start();

        HostInfo self = new HostInfo(c.advertisedHost(), httpPort);
        Progress progress = new Progress(c.partitions());
        ClaimQueues claims = new ClaimQueues(c.partitions());
        streams = new KafkaStreams(TopologyBuilder.build(c, progress, claims, new CommandMeters(metrics.registry())), streamsProperties(c, self));
        queryAdmin = Admin.create(clientProperties(c));
        streams.setStateListener((now, before) -> {
            log.info("Kafka Streams {} -> {}", before, now);
            TaskQueries q = queries;
            if (now == KafkaStreams.State.RUNNING && q != null) {
                java.util.concurrent.CompletableFuture.runAsync(q::running); // off the stream thread: it asks the broker
            }
        });
        Restorations restorations = new Restorations();
        streams.setGlobalStateRestoreListener(restorations);
        api.reportRestores(restorations);
        streams.setUncaughtExceptionHandler(e -> {
            log.error("Stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        mcpClient = TaskStateClient.builder()
                .bootstrapServers(bootstrap)
                .baseUrl(baseUrl())
                .token(c.apiTokens().instanceToken().orElse(null))
                .clientId(c.applicationId() + "-mcp-" + UUID.randomUUID())
                .topicPrefix(c.topicPrefix())
                .timeout(c.commandTimeout())
                .kafkaProperties(c.kafka())
                .build();
        mcp = new McpTools(mcpClient).serve(api.mcpTransport());
        queries = new TaskQueries(streams, self, c.partitions(), c.topic(Topic.TASK_COMMANDS),
                c.topic(Topic.INTERNAL_COMMANDS), c.instanceTimeout(),
                restorations, queryAdmin, progress, claims, c.applicationId());
        api.attach(queries, streams::state);
        metrics.bind(streams, () -> queries);
        streams.start();
        log.info("taskstate HTTP API on http://{}:{} ({})", c.httpHost(), httpPort, c);
        logExposure(c);
    }

    /** Says who can reach the API and whether it asks for tokens: loudly when anyone on the network can change every task. */
    private void logExposure(TaskStateConfig c) {
        boolean tokens = c.apiTokens().enabled();
        String auth = tokens ? "bearer tokens required except on /health (" + c.apiTokens() + ")"
                : "no tokens required (" + TaskStateConfig.API_TOKENS + " is not set)";
        if (isLoopback(c.httpHost())) {
            log.info("Listening on {} only{}: not reachable from other machines; {}", c.httpHost(),
                    broker != null ? " (embedded default, Kafka on " + broker.bootstrapServers() + ")" : "", auth);
        } else if (tokens) {
            log.info("The HTTP API listens on {}, reachable from other machines; {}", c.httpHost(), auth);
        } else {
            log.warn("SECURITY WARNING: the HTTP API listens on {}, reachable from other machines, and authentication "
                    + "is OFF ({} is not set): anyone who reaches it can read and change every task. Set {} "
                    + "(see the README's Security section) or bind 127.0.0.1", c.httpHost(), TaskStateConfig.API_TOKENS,
                    TaskStateConfig.API_TOKENS);
        }
    }

    /** The HTTP port actually bound (differs from the configured one when that was 0). */
    public int httpPort() {
        return httpPort;
    }

    /** Where this process reaches its own HTTP API. */
    public String baseUrl() {
        String host = config.httpHost();
        return "http://" + (host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host) + ":" + httpPort;
    }

    /** The Kafka cluster in use: the configured one, or the embedded broker's address. */
    public String bootstrapServers() {
        return broker != null ? broker.bootstrapServers() : config.bootstrapServers().orElseThrow();
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
    }

    /** How many partitions this instance currently processes (active tasks of its stream threads). */
    public int localPartitions() {
        return streams == null ? 0 : streams.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
    }

    public KafkaStreams.State streamsState() {
        return streams == null ? KafkaStreams.State.CREATED : streams.state();
    }

    @Override
    public void close() {
        if (mcp != null) {
            closeQuietly("MCP server", mcp::closeGracefully);
        }
        if (api != null) {
            log.info("Stopping: the HTTP API no longer accepts connections; answering the {} requests in flight first (up to {})",
                    api.requestsInFlight(), ApiServer.STOP_TIMEOUT);
            closeQuietly("HTTP API", api::close);
            log.info("HTTP API stopped, every request in flight answered");
        }
        if (mcpClient != null) {
            closeQuietly("MCP client", mcpClient::close);
        }
        if (streams != null) {
            closeQuietly("Kafka Streams", this::closeStreams);
        }
        if (writer != null) {
            closeQuietly("command writer", writer::close);
        }
        if (queryAdmin != null) {
            closeQuietly("query admin client", queryAdmin::close);
        }
        closeQuietly("metrics", metrics::close);
        if (broker != null) {
            closeQuietly("embedded broker", broker::close);
        }
    }

    /** Closes Kafka Streams, leaving the group so that its partitions move (or a restart rejoins) without waiting out a session. */
    private void closeStreams() {
        boolean closed = streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(CLOSE_TIMEOUT));
        if (!closed) {
            log.warn("Kafka Streams did not close within {}; its partitions move once its session times out", CLOSE_TIMEOUT);
            return;
        }
        String group = config.applicationId();
        if (queryAdmin == null) {
            log.info("Kafka Streams closed and left its group {}", group);
            return;
        }
        try {
            int members = queryAdmin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(GROUP_CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).members().size();
            log.info("Kafka Streams closed and left its group {} ({} members remain)", group, members);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            log.info("Kafka Streams closed and left its group {} (its members could not be listed: {})", group, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(String what, Runnable close) {
        try {
            close.run();
        } catch (RuntimeException e) {
            log.warn("Closing the {} failed", what, e);
        }
    }

    private static Map<String, Object> clientProperties(TaskStateConfig c) {
        Map<String, Object> p = new HashMap<>(c.kafka());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers().orElseThrow());
        return p;
    }

    /** This instance's stable group member id: made once, kept under the data directory. */
    static String memberId(TaskStateConfig c) {
        Path file = c.dataDir().resolve("streams").resolve("member-id");
        try {
            if (Files.exists(file)) {
                return Files.readString(file).trim();
            }
            Files.createDirectories(file.getParent());
            String id = c.applicationId() + "-" + UUID.randomUUID();
            Files.writeString(file, id);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot keep the group member id in " + file, e);
        }
    }

    static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;

    static Properties streamsProperties(TaskStateConfig c, HostInfo self) {
        Properties p = new Properties();
        p.putAll(clientProperties(c));
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, c.applicationId());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, c.dataDir().resolve("streams").toAbsolutePath().toString());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) c.replicationFactor());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, c.standbyReplicas());
        p.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
        // Static membership: a restart (even after kill -9) takes its partitions back at once instead
        // of waiting out the dead member's session timeout. The id is kept in the data directory.
        p.putIfAbsent(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), memberId(c));
        // A static member that dies keeps its partitions until its session times out: 10 s, not the
        // 45 s default, bounds how long its partitions go unanswered (KAFKA_SESSION_TIMEOUT_MS changes it).
        p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, DEFAULT_SESSION_TIMEOUT_MS);
        // A joining instance first warms up copies of the partitions it will take; the group checks
        // whether they caught up every minute (the least Kafka Streams allows), not every ten.
        p.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, 60_000L);
        // One block cache and write buffer budget for every store, however many partitions this instance holds.
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDBConfig.class);
        p.put(BoundedMemoryRocksDBConfig.MEMORY_BYTES, c.rocksdbMemory());
        return p;
    }
}
