package io.taskstate.app;

import io.taskstate.protocol.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics of DESIGN.md when missing, and refuses to start when an existing one has
 * another partition count: ids encode their partition, so a changed count would re-route them.
 */
final class Topics {
    private static final Logger log = LoggerFactory.getLogger(Topics.class);

    /** A broker that wants SASL or TLS drops a plaintext client's connections: to that client it just never answers. */
    private static final String NO_ANSWER_HINT = ". No broker answered: is KAFKA_BOOTSTRAP_SERVERS right, and if the "
            + "cluster requires authentication (SASL) or TLS, are KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM and "
            + "KAFKA_SASL_JAAS_CONFIG (or the KAFKA_SSL_* settings) set?";

    private Topics() {
    }

    /** Describes the topics, waiting out the moment after creation when the broker does not know them yet. */
    private static Map<String, TopicDescription> describe(Admin admin, Set<String> names) throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                return admin.describeTopics(names).allTopicNames().get();
            } catch (ExecutionException e) {
                boolean retriable = e.getCause() instanceof org.apache.kafka.common.errors.RetriableException;
                if (!retriable || System.nanoTime() > deadline) {
                    throw new IllegalStateException("Cannot describe topics: " + e.getCause().getMessage(), e.getCause());
                }
                Thread.sleep(100); // the broker learns of new topics within moments
            }
        }
    }

    static void ensure(Admin admin, TaskStateConfig config) throws InterruptedException {
        Map<String, Topic> wanted = new java.util.TreeMap<>();
        for (Topic t : Topic.values()) {
            wanted.put(config.topic(t), t);
        }
        Set<String> existing;
        try {
            existing = admin.listTopics().names().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot list topics on " + config.bootstrapServers().orElse("the embedded broker")
                    + ": " + e.getCause().getMessage() + (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException
                    ? NO_ANSWER_HINT : ""), e.getCause());
        }
        List<NewTopic> missing = new ArrayList<>();
        wanted.forEach((name, topic) -> {
            if (!existing.contains(name)) {
                Optional<Short> rf = config.replicationFactor() < 0 ? Optional.empty() : Optional.of(config.replicationFactor());
                missing.add(new NewTopic(name, Optional.of(config.partitions()), rf).configs(
                        topic == Topic.EVENTS ? topic.configs(config.eventsRetention()) : topic.configs()));
            }
        });
        if (!missing.isEmpty()) {
            try {
                admin.createTopics(missing).all().get();
                log.info("Created topics {} with {} partitions", missing.stream().map(NewTopic::name).toList(), config.partitions());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Cannot create topics: " + e.getCause().getMessage(), e.getCause());
                }
            }
        }
        Map<String, TopicDescription> described = describe(admin, wanted.keySet());
        for (TopicDescription d : described.values()) {
            if (d.partitions().size() != config.partitions()) {
                throw new IllegalStateException("Topic " + d.name() + " has " + d.partitions().size()
                        + " partitions but " + TaskStateConfig.PARTITIONS + " is " + config.partitions()
                        + ". Task ids encode their partition, so the count is fixed once chosen: set "
                        + TaskStateConfig.PARTITIONS + "=" + d.partitions().size() + ", or use a new "
                        + TaskStateConfig.TOPIC_PREFIX + " to start afresh.");
            }
        }
    }
}
