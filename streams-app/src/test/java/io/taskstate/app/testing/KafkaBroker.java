package io.taskstate.app.testing;

import io.taskstate.app.broker.EmbeddedKafka;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * A real Kafka broker for integration tests, one per test JVM: Testcontainers' {@code apache/kafka}
 * where Docker runs, the embedded KRaft broker where it does not. Use with
 * {@code @ExtendWith(KafkaBroker.class)} and read {@link #bootstrapServers()}.
 */
public final class KafkaBroker implements BeforeAllCallback {
    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);
    private static final String KAFKA_IMAGE = "apache/kafka:4.1.1";

    private static volatile String bootstrapServers;

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(KafkaBroker.class, k -> start(), Running.class);
    }

    public static String bootstrapServers() {
        if (bootstrapServers == null) {
            throw new IllegalStateException("Annotate the test class with @ExtendWith(KafkaBroker.class)");
        }
        return bootstrapServers;
    }

    private static Running start() {
        if (dockerAvailable()) {
            KafkaContainer container = new KafkaContainer(KAFKA_IMAGE)
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                    .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0");
            container.start();
            bootstrapServers = container.getBootstrapServers();
            log.info("Tests use Kafka in Docker at {}", bootstrapServers);
            return new Running(container::stop);
        }
        try {
            Path dir = Files.createTempDirectory("taskstate-test-broker");
            EmbeddedKafka broker = EmbeddedKafka.start(dir, 0, 0);
            bootstrapServers = broker.bootstrapServers();
            log.info("No Docker here: tests use the embedded KRaft broker at {}", bootstrapServers);
            return new Running(broker::close);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Stops the broker when the root test context closes, at the end of the run. */
    private record Running(Runnable stop) implements AutoCloseable {
        @Override
        public void close() {
            stop.run();
        }
    }
}
