package io.taskstate.app;

import io.taskstate.app.http.ApiTokens;
import io.taskstate.app.tasks.ExpiryPolicy;
import io.taskstate.protocol.Topic;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Everything the app can be told, parsed in one place. Each setting has the name of its
 * environment variable; a properties file and {@code --set NAME=value} flags use the same names,
 * and later sources win (defaults, file, environment, flags).
 *
 * <p>Kafka client settings pass through: {@code KAFKA_} plus the setting name upper-cased with dots
 * as underscores ({@code KAFKA_SECURITY_PROTOCOL=SASL_SSL} becomes {@code security.protocol}).
 *
 * @param bootstrapServers empty: start the embedded single-node broker
 * @param replicationFactor of the topics the app creates; {@code -1} takes the broker default
 * @param rocksdbMemory    bytes shared by all RocksDB stores of the instance (block cache and memtables)
 * @param maxBodyBytes     largest HTTP request body accepted (API and MCP), checked before it is parsed
 * @param kafka            client settings passed to every producer, consumer and admin client
 * @param apiTokens        bearer tokens the HTTP API requires; {@link ApiTokens#NONE}: open
 * @param metricsAuth      whether {@code GET /metrics} is open or needs a read token (when tokens are configured)
 * @param historyLimit     history entries kept per task, the newest; 0 keeps none
 */
public record TaskStateConfig(
        Optional<String> bootstrapServers,
        String httpHost,
        String advertisedHost,
        int httpPort,
        Path dataDir,
        int partitions,
        short replicationFactor,
        int standbyReplicas,
        Duration instanceTimeout,
        ExpiryPolicy expiryPolicy,
        Duration expiryCheckInterval,
        Duration commandTimeout,
        Duration dedupRetention,
        Duration eventsRetention,
        long rocksdbMemory,
        String topicPrefix,
        String applicationId,
        int embeddedKafkaPort,
        int embeddedControllerPort,
        long maxBodyBytes,
        Map<String, String> kafka,
        ApiTokens apiTokens,
        MetricsAuth metricsAuth,
        int historyLimit) {

    private static final Logger log = LoggerFactory.getLogger(TaskStateConfig.class);
    private static final long MIN_ROCKSDB_MEMORY = 16L << 20;

    public static final String BOOTSTRAP = "KAFKA_BOOTSTRAP_SERVERS";
    public static final String HTTP_HOST = "TASKSTATE_HTTP_HOST";
    public static final String HTTP_PORT = "TASKSTATE_HTTP_PORT";
    public static final String ADVERTISED_HOST = "TASKSTATE_ADVERTISED_HOST";
    public static final String STANDBY_REPLICAS = "TASKSTATE_STANDBY_REPLICAS";
    public static final String DATA_DIR = "TASKSTATE_DATA_DIR";
    public static final String PARTITIONS = "TASKSTATE_PARTITIONS";
    public static final String REPLICATION_FACTOR = "TASKSTATE_REPLICATION_FACTOR";
    public static final String INSTANCE_TIMEOUT = "TASKSTATE_INSTANCE_TIMEOUT";
    public static final String EXPIRY_POLICY = "TASKSTATE_EXPIRY_POLICY";
    public static final String EXPIRY_CHECK_INTERVAL = "TASKSTATE_EXPIRY_CHECK_INTERVAL";
    public static final String COMMAND_TIMEOUT = "TASKSTATE_COMMAND_TIMEOUT";
    public static final String DEDUP_RETENTION = "TASKSTATE_DEDUP_RETENTION";
    /** How long the events topic keeps changes, so how far back a live-updates stream can resume. */
    public static final String EVENTS_RETENTION = "TASKSTATE_EVENTS_RETENTION";
    /** Bytes all RocksDB stores of the instance share (block cache and memtables), e.g. {@code 128m}. */
    public static final String ROCKSDB_MEMORY = "TASKSTATE_ROCKSDB_MEMORY";
    public static final String TOPIC_PREFIX = "TASKSTATE_TOPIC_PREFIX";
    public static final String APPLICATION_ID = "TASKSTATE_APPLICATION_ID";
    public static final String EMBEDDED_KAFKA_PORT = "TASKSTATE_EMBEDDED_KAFKA_PORT";
    public static final String EMBEDDED_CONTROLLER_PORT = "TASKSTATE_EMBEDDED_CONTROLLER_PORT";
    /** {@code role:token} pairs, comma-separated; roles read, write, admin. */
    public static final String API_TOKENS = "TASKSTATE_API_TOKENS";
    /** A file of one {@code role:token} per line; adds to {@link #API_TOKENS}. */
    public static final String API_TOKENS_FILE = "TASKSTATE_API_TOKENS_FILE";
    /** {@code text} (default) or {@code json}: how log lines are written, see {@link LogFormat}. */
    public static final String LOG_FORMAT = "TASKSTATE_LOG_FORMAT";
    /** {@code open} or {@code read}: whether {@code GET /metrics} needs a read token. */
    public static final String METRICS_AUTH = "TASKSTATE_METRICS_AUTH";

    /** Who may read {@code GET /metrics} when API tokens are configured. */
    public enum MetricsAuth {
        /** Anyone, like {@code /health/*}: a Prometheus scraper needs no token. */
        OPEN,
        /** A token of role read or stronger, like every other read. */
        READ;

        /** {@code open} or {@code read}, any case. */
        public static MetricsAuth parse(String value) {
            return valueOf(value.toUpperCase(Locale.ROOT));
        }
    }
    public static final String MAX_BODY_BYTES = "TASKSTATE_MAX_BODY_BYTES";
    /** History entries kept per task (the newest); 0 keeps none. */
    public static final String HISTORY_LIMIT = "TASKSTATE_HISTORY_LIMIT";
    /** The largest {@link #HISTORY_LIMIT}. */
    public static final int MAX_HISTORY_LIMIT = 10_000;
    /** The largest {@link #MAX_BODY_BYTES}: a command must still fit in one Kafka record (1 MiB by default) once wrapped. */
    public static final long MAX_BODY_BYTES_LIMIT = 64L * 1024 * 1024;

    /** The defaults, by setting name; the README's configuration table lists the same. */
    public static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry(HTTP_HOST, "127.0.0.1"),
            Map.entry(HTTP_PORT, "8080"),
            Map.entry(DATA_DIR, "./data"),
            Map.entry(PARTITIONS, "6"),
            Map.entry(REPLICATION_FACTOR, "-1"),
            Map.entry(INSTANCE_TIMEOUT, "PT5M"),
            Map.entry(EXPIRY_POLICY, "release"),
            Map.entry(EXPIRY_CHECK_INTERVAL, "PT1S"),
            Map.entry(COMMAND_TIMEOUT, "PT10S"),
            Map.entry(DEDUP_RETENTION, "P7D"),
            Map.entry(EVENTS_RETENTION, "PT24H"),
            Map.entry(ROCKSDB_MEMORY, "128m"),
            Map.entry(TOPIC_PREFIX, Topic.DEFAULT_PREFIX),
            Map.entry(APPLICATION_ID, "taskstate"),
            Map.entry(EMBEDDED_KAFKA_PORT, "9092"),
            Map.entry(EMBEDDED_CONTROLLER_PORT, "9093"),
            Map.entry(METRICS_AUTH, "open"),
            Map.entry(HISTORY_LIMIT, "100"),
            Map.entry(MAX_BODY_BYTES, "1048576"));

    public TaskStateConfig {
        if (partitions < 1 || partitions > 10_000) {
            throw new IllegalArgumentException(PARTITIONS + " must be between 1 and 10000, got " + partitions);
        }
        if (httpPort < 0 || httpPort > 65_535) {
            throw new IllegalArgumentException(HTTP_PORT + " must be a port number (0 picks a free one), got " + httpPort);
        }
        if (standbyReplicas < 0 || standbyReplicas > 10) {
            throw new IllegalArgumentException(STANDBY_REPLICAS + " must be between 0 and 10, got " + standbyReplicas);
        }
        if (advertisedHost == null || advertisedHost.isBlank()) {
            advertisedHost = httpHost;
        }
        if (replicationFactor == 0 || replicationFactor < -1) {
            throw new IllegalArgumentException(REPLICATION_FACTOR + " must be -1 (broker default) or at least 1, got " + replicationFactor);
        }
        requirePositive(INSTANCE_TIMEOUT, instanceTimeout);
        requirePositive(EXPIRY_CHECK_INTERVAL, expiryCheckInterval);
        requirePositive(COMMAND_TIMEOUT, commandTimeout);
        requirePositive(DEDUP_RETENTION, dedupRetention);
        requirePositive(EVENTS_RETENTION, eventsRetention);
        if (rocksdbMemory < MIN_ROCKSDB_MEMORY) {
            throw new IllegalArgumentException(ROCKSDB_MEMORY + " must be at least 16m (16 MiB), got " + rocksdbMemory + " bytes");
        }
        if (maxBodyBytes < 1024 || maxBodyBytes > MAX_BODY_BYTES_LIMIT) {
            throw new IllegalArgumentException(MAX_BODY_BYTES + " must be from 1024 to " + MAX_BODY_BYTES_LIMIT
                    + " bytes, got " + maxBodyBytes);
        }
        if (historyLimit < 0 || historyLimit > MAX_HISTORY_LIMIT) {
            throw new IllegalArgumentException(HISTORY_LIMIT + " must be from 0 (keep no history) to " + MAX_HISTORY_LIMIT
                    + " entries per task, got " + historyLimit);
        }
        kafka = Map.copyOf(kafka);
        java.util.Objects.requireNonNull(apiTokens, "apiTokens");
        java.util.Objects.requireNonNull(metricsAuth, "metricsAuth");
    }

    /** Parses merged settings (see the class comment); anything missing takes its default. */
    public static TaskStateConfig from(Map<String, String> settings) {
        Map<String, String> s = new TreeMap<>(DEFAULTS);
        settings.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                s.put(k, v.trim());
            }
        });
        Map<String, String> kafka = new TreeMap<>();
        s.forEach((k, v) -> {
            if (k.startsWith("KAFKA_") && !k.equals(BOOTSTRAP)) {
                String name = k.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (isClientSetting(name)) {
                    kafka.put(name, v);
                } else {
                    log.warn("Ignoring {}: {} is not a Kafka client setting", k, name);
                }
            }
        });
        return new TaskStateConfig(
                Optional.ofNullable(s.get(BOOTSTRAP)),
                s.get(HTTP_HOST),
                s.getOrDefault(ADVERTISED_HOST, s.get(HTTP_HOST)),
                parse(s, HTTP_PORT, Integer::parseInt, "an integer"),
                Path.of(s.get(DATA_DIR)),
                parse(s, PARTITIONS, Integer::parseInt, "an integer"),
                parse(s, REPLICATION_FACTOR, Short::parseShort, "an integer"),
                // a single embedded node has nowhere to put a standby
                s.containsKey(STANDBY_REPLICAS) ? parse(s, STANDBY_REPLICAS, Integer::parseInt, "an integer")
                        : s.containsKey(BOOTSTRAP) ? 1 : 0,
                parse(s, INSTANCE_TIMEOUT, Duration::parse, "an ISO-8601 duration such as PT5M"),
                parse(s, EXPIRY_POLICY, ExpiryPolicy::parse, "release, keep or block"),
                parse(s, EXPIRY_CHECK_INTERVAL, Duration::parse, "an ISO-8601 duration such as PT1S"),
                parse(s, COMMAND_TIMEOUT, Duration::parse, "an ISO-8601 duration such as PT10S"),
                parse(s, DEDUP_RETENTION, Duration::parse, "an ISO-8601 duration such as P7D"),
                parse(s, EVENTS_RETENTION, Duration::parse, "an ISO-8601 duration such as PT24H"),
                parse(s, ROCKSDB_MEMORY, TaskStateConfig::parseBytes, "a size in bytes, or with k, m or g (KiB, MiB, GiB) such as 128m"),
                s.get(TOPIC_PREFIX),
                s.get(APPLICATION_ID),
                parse(s, EMBEDDED_KAFKA_PORT, Integer::parseInt, "an integer"),
                parse(s, EMBEDDED_CONTROLLER_PORT, Integer::parseInt, "an integer"),
                parse(s, MAX_BODY_BYTES, Long::parseLong, "a number of bytes"),
                kafka,
                ApiTokens.parse(API_TOKENS, Optional.ofNullable(s.get(API_TOKENS)),
                        API_TOKENS_FILE, Optional.ofNullable(s.get(API_TOKENS_FILE)).map(Path::of)),
                parse(s, METRICS_AUTH, MetricsAuth::parse, "open or read"),
                parse(s, HISTORY_LIMIT, Integer::parseInt, "an integer number of entries per task"));
    }

    /**
     * Whether {@code name} is a setting of a Kafka client (producer, consumer, admin, Streams),
     * possibly behind a Streams client prefix; environment variables such as {@code KAFKA_HOME}
     * or {@code KAFKA_HEAP_OPTS} are not.
     */
    static boolean isClientSetting(String name) {
        for (String prefix : CLIENT_PREFIXES) {
            if (name.startsWith(prefix) && KNOWN_SETTINGS.contains(name.substring(prefix.length()))) {
                return true;
            }
        }
        return false;
    }

    private static final List<String> CLIENT_PREFIXES = List.of("", StreamsConfig.PRODUCER_PREFIX,
            StreamsConfig.CONSUMER_PREFIX, StreamsConfig.MAIN_CONSUMER_PREFIX, StreamsConfig.RESTORE_CONSUMER_PREFIX,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX, StreamsConfig.ADMIN_CLIENT_PREFIX, StreamsConfig.TOPIC_PREFIX);
    private static final Set<String> KNOWN_SETTINGS = knownSettings();

    private static Set<String> knownSettings() {
        Set<String> names = new HashSet<>();
        names.addAll(ProducerConfig.configNames());
        names.addAll(ConsumerConfig.configNames());
        names.addAll(AdminClientConfig.configNames());
        names.addAll(StreamsConfig.configDef().names());
        names.addAll(topicConfigNames());
        return Set.copyOf(names);
    }

    private static Set<String> topicConfigNames() {
        Set<String> names = new HashSet<>();
        for (java.lang.reflect.Field f : TopicConfig.class.getFields()) {
            if (f.getName().endsWith("_CONFIG") && f.getType() == String.class) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }

    public String topic(Topic topic) {
        return topic.name(topicPrefix);
    }

    public boolean embedded() {
        return bootstrapServers.isEmpty();
    }

    public TaskStateConfig withBootstrapServers(String servers) {
        return new TaskStateConfig(Optional.of(servers), httpHost, advertisedHost, httpPort, dataDir, partitions,
                replicationFactor, standbyReplicas, instanceTimeout, expiryPolicy, expiryCheckInterval, commandTimeout, dedupRetention, eventsRetention, rocksdbMemory, topicPrefix, applicationId, embeddedKafkaPort,
                embeddedControllerPort, maxBodyBytes, kafka, apiTokens, metricsAuth, historyLimit);
    }

    /** Client settings and API tokens are masked: they hold credentials (sasl.jaas.config, ssl passwords). */
    @Override
    public String toString() {
        return "TaskStateConfig[bootstrapServers=" + bootstrapServers.orElse("(embedded)")
                + ", http=" + httpHost + ":" + httpPort + " (advertised as " + advertisedHost + ")"
                + ", standbyReplicas=" + standbyReplicas + ", dataDir=" + dataDir + ", partitions=" + partitions
                + ", replicationFactor=" + replicationFactor + ", instanceTimeout=" + instanceTimeout
                + ", expiryPolicy=" + expiryPolicy + ", expiryCheckInterval=" + expiryCheckInterval
                + ", commandTimeout=" + commandTimeout + ", dedupRetention=" + dedupRetention + ", eventsRetention=" + eventsRetention
                + ", rocksdbMemory=" + rocksdbMemory
                + ", topicPrefix=" + topicPrefix + ", applicationId=" + applicationId + ", maxBodyBytes=" + maxBodyBytes
                + ", kafka=" + kafka.keySet() + " (values masked), apiTokens=" + apiTokens
                + ", metricsAuth=" + metricsAuth + ", historyLimit=" + historyLimit + "]";
    }

    private static <T> T parse(Map<String, String> s, String name, Function<String, T> parser, String expected) {
        String value = s.get(name);
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be " + expected + ", got '" + value + "'", e);
        }
    }

    /** {@code 134217728}, {@code 128m}, {@code 1g}: bytes, or KiB, MiB, GiB with a k, m or g suffix. */
    static long parseBytes(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        int shift = switch (v.charAt(v.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        long number = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
        if (number < 0 || number > Long.MAX_VALUE >> shift) {
            throw new IllegalArgumentException("out of range: " + value);
        }
        return number << shift;
    }

    private static void requirePositive(String name, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }
}
