package io.taskstate.app.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft broker (broker and controller in one) running in this JVM, listening on
 * 127.0.0.1 only. Its log directory is formatted on first start and kept, so tasks survive a
 * restart, including one after {@code kill -9}: the broker session timeout is lowered so the node
 * does not wait for its own previous session to expire.
 *
 * <p>{@link #startWithSaslPlain} serves clients on a {@code SASL_PLAINTEXT} listener with the
 * PLAIN mechanism instead, for checking that every client of the app passes the Kafka security
 * settings through; the default {@link #start} stays plaintext.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Formats {@code dataDir} if it is new, starts the broker and waits until it serves metadata.
     *
     * @param port           the client port, 0 for a free one
     * @param controllerPort the controller's port, 0 for a free one
     */
    public static EmbeddedKafka start(Path dataDir, int port, int controllerPort) {
        return start(dataDir, port, controllerPort, null);
    }

    /**
     * Like {@link #start}, but clients must authenticate: the client listener is
     * {@code SASL_PLAINTEXT} with mechanism PLAIN, accepting {@code users} (name to password).
     * Clients connect with {@code security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=PLAIN}
     * and {@link #plainLogin} as {@code sasl.jaas.config}. Meant for tests: PLAIN over plaintext
     * sends passwords in the clear.
     */
    public static EmbeddedKafka startWithSaslPlain(Path dataDir, int port, int controllerPort, Map<String, String> users) {
        if (users.isEmpty()) {
            throw new IllegalArgumentException("users must name at least one user and password for clients to log in with");
        }
        return start(dataDir, port, controllerPort, Map.copyOf(users));
    }

    /** The {@code sasl.jaas.config} value with which a client logs in with PLAIN as {@code user}. */
    public static String plainLogin(String user, String password) {
        return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private static EmbeddedKafka start(Path dataDir, int port, int controllerPort, Map<String, String> saslUsers) {
        int clientPort = port == 0 ? freePort() : port;
        int quorumPort = controllerPort == 0 ? freePort() : controllerPort;
        Path logDir = dataDir.toAbsolutePath().resolve("kafka");
        Map<String, String> props = brokerProperties(logDir, clientPort, quorumPort);
        Map<String, Object> client = new TreeMap<>();
        if (saslUsers != null) {
            String brokerPassword = Uuid.randomUuid().toString();
            props.putAll(saslPlainProperties(clientPort, quorumPort, saslUsers, brokerPassword));
            client.putAll(saslPlainClient(BROKER_USER, brokerPassword));
        }
        format(logDir, props);

        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
        String bootstrap = "127.0.0.1:" + clientPort;
        try {
            server.startup();
            awaitReady(bootstrap, client);
        } catch (RuntimeException | Error e) {
            shutdown(server);
            throw e;
        }
        log.info("Embedded Kafka broker ready at {} (data in {})", bootstrap, logDir);
        return new EmbeddedKafka(server, bootstrap);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        shutdown(server);
        log.info("Embedded Kafka broker stopped");
    }

    private static void shutdown(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    static Map<String, String> brokerProperties(Path logDir, int port, int controllerPort) {
        Map<String, String> p = new TreeMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "6");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "6");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // After kill -9 the node would otherwise wait out its own old session (about 9 s) before it is unfenced.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "2000");
        p.put("log.cleaner.dedupe.buffer.size", Long.toString(8L * 1024 * 1024));
        // The stream thread's first write after each commit finds the previous transaction still
        // completing; the broker retries adding the partition after this backoff (default 20 ms,
        // which alone made the slowest 2% of synchronous creates take 20 to 50 ms).
        p.put("add.partitions.to.txn.retry.backoff.ms", "1");
        // the open transaction of an app instance killed mid-commit blocks read_committed readers of
        // the partitions it wrote until it is aborted: look for timed-out transactions every second
        p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        return p;
    }

    /** The broker's own user, for the connections it makes to itself (transaction markers). */
    private static final String BROKER_USER = "taskstate-broker";
    private static final String SASL_LISTENER = "SASL_PLAINTEXT";

    /** Replaces the plaintext client listener with a SASL_PLAINTEXT one taking PLAIN logins of {@code users}. */
    static Map<String, String> saslPlainProperties(int port, int controllerPort, Map<String, String> users, String brokerPassword) {
        Map<String, String> p = new TreeMap<>();
        p.put("listeners", SASL_LISTENER + "://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"")
                .append(BROKER_USER).append("\" password=\"").append(brokerPassword).append("\" user_")
                .append(BROKER_USER).append("=\"").append(brokerPassword).append('"');
        users.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
        p.put("listener.name." + SASL_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".plain.sasl.jaas.config", jaas.append(';').toString());
        p.put("advertised.listeners", SASL_LISTENER + "://127.0.0.1:" + port);
        p.put("inter.broker.listener.name", SASL_LISTENER);
        p.put("listener.security.protocol.map", SASL_LISTENER + ":SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("sasl.enabled.mechanisms", "PLAIN");
        p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        return p;
    }

    private static Map<String, Object> saslPlainClient(String user, String password) {
        return Map.of("security.protocol", SASL_LISTENER, "sasl.mechanism", "PLAIN", "sasl.jaas.config", plainLogin(user, password));
    }

    private static void format(Path logDir, Map<String, String> props) {
        try {
            Files.createDirectories(logDir);
            if (Files.exists(logDir.resolve("meta.properties"))) {
                return;
            }
            Path configFile = logDir.resolveSibling("kafka-server.properties");
            Properties properties = new Properties();
            properties.putAll(props);
            try (OutputStream out = Files.newOutputStream(configFile)) {
                properties.store(out, "written by taskstate to format the embedded broker's log directory");
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int rc = StorageTool.execute(new String[] {"format", "--config", configFile.toString(),
                    "--cluster-id", Uuid.randomUuid().toString(), "--ignore-formatted"},
                    new PrintStream(output, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("Formatting " + logDir + " failed: " + output.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the embedded broker's data directory " + logDir, e);
        }
    }

    private static void awaitReady(String bootstrap, Map<String, Object> clientSettings) {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        Map<String, Object> settings = new TreeMap<>(clientSettings);
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(settings)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("The embedded broker did not become ready within " + READY_TIMEOUT, e);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for the embedded broker", e);
                }
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on 127.0.0.1", e);
        }
    }
}
