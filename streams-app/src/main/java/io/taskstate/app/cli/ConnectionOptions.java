package io.taskstate.app.cli;

import io.taskstate.client.TaskStateClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Option;

/**
 * Where taskstate is and how to talk to it; mixed into every {@code task} and {@code instance}
 * command. Writes go to Kafka, reads to the HTTP API, as with the SDK. Kafka client settings come
 * from the environment as for {@code serve}: {@code KAFKA_SECURITY_PROTOCOL=SASL_SSL} becomes
 * {@code security.protocol}. {@code --token} (or {@code TASKSTATE_TOKEN}) authenticates the reads.
 */
public final class ConnectionOptions {
    @Option(names = "--url", paramLabel = "URL", defaultValue = "${env:TASKSTATE_URL:-http://127.0.0.1:8080}",
            description = "HTTP API of taskstate, for reads (env TASKSTATE_URL; default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--kafka-bootstrap-servers", paramLabel = "HOSTS",
            defaultValue = "${env:KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            description = "Kafka cluster taskstate uses; writes are sent there (env KAFKA_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX", defaultValue = "${env:TASKSTATE_TOPIC_PREFIX:-taskstate.}",
            description = "Prefix of taskstate's topics (env TASKSTATE_TOPIC_PREFIX; default ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT10S",
            description = "How long to wait for Kafka and for each answer, ISO-8601 (default ${DEFAULT-VALUE}).")
    Duration timeout;

    // no ${DEFAULT-VALUE} in the description: --help must not print the token
    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:TASKSTATE_TOKEN}",
            description = "Bearer token for the HTTP API, when the server has TASKSTATE_API_TOKENS (env TASKSTATE_TOKEN).")
    String token;

    @Option(names = "--json", description = "Print the JSON the API returns instead of a table or key: value lines.")
    boolean json;

    /** A client for one command; close it. Connecting to Kafka waits at most {@link #timeout}. */
    TaskStateClient client() {
        Map<String, Object> kafka = new HashMap<>(kafkaFromEnvironment(System.getenv()));
        String millis = Long.toString(Math.max(1, timeout.toMillis()));
        kafka.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, millis);
        kafka.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        return TaskStateClient.builder()
                .bootstrapServers(bootstrapServers)
                .baseUrl(url)
                .token(token == null || token.isBlank() ? null : token)
                .topicPrefix(topicPrefix)
                .timeout(timeout)
                .clientId("cli-" + UUID.randomUUID())
                .kafkaProperties(kafka)
                .build();
    }

    /** The producer and consumer settings among {@code KAFKA_*} variables, named as Kafka names them. */
    public static Map<String, String> kafkaFromEnvironment(Map<String, String> env) {
        Set<String> known = new java.util.HashSet<>(ProducerConfig.configNames());
        known.addAll(ConsumerConfig.configNames());
        Map<String, String> settings = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("KAFKA_") && !k.equals("KAFKA_BOOTSTRAP_SERVERS") && v != null && !v.isBlank()) {
                String name = k.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (known.contains(name) && !name.equals(CommonClientConfigs.CLIENT_ID_CONFIG)) {
                    settings.put(name, v.trim());
                }
            }
        });
        return settings;
    }
}
