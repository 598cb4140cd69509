package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Heartbeat;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Topic;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedPunctuator;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wall-clock check asks for an expiry once, and not again until that request is processed.
 * A request can be lost with an aborted transaction, after which Kafka Streams revives the task:
 * it calls {@code init} again on the same processor object, which {@code TopologyTestDriver}
 * cannot show, so the processor runs here on a {@link MockProcessorContext}.
 */
class ExpiryRequestTest {
    private static final TaskStateConfig CONFIG = TaskStateConfig.from(Map.of(
            TaskStateConfig.PARTITIONS, "1", TaskStateConfig.INSTANCE_TIMEOUT, "PT30S"));

    private final MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>(mockConfig(),
            new TaskId(0, 0), new File(System.getProperty("java.io.tmpdir")));
    private final CommandProcessor processor = TopologyBuilder.processor(CONFIG);

    @BeforeEach
    void init() {
        for (StoreBuilder<?> builder : TopologyBuilder.stores(true)) {
            StateStore store = builder.build();
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
        }
        processor.init(context);
        context.setRecordMetadata(CONFIG.topic(Topic.HEARTBEATS), 0, 0);
        processor.process(new Record<>("worker-1".getBytes(StandardCharsets.UTF_8),
                Json.bytes(new Heartbeat("worker-1", null, null)), at(10).toEpochMilli()));
    }

    private static Properties mockConfig() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "expiry-request-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return p;
    }

    /**
     * Fires the wall-clock punctuators at {@code wallClock}; returns the expiry requests they sent.
     * Every init schedules them anew on the same processor object, so firing them all is firing the
     * processor's checks once or more, and the pending request must hold back the repeats.
     */
    private List<Command> checkExpiryAt(Instant wallClock) {
        context.resetForwards();
        context.scheduledPunctuators().stream()
                .filter(p -> p.getType() == PunctuationType.WALL_CLOCK_TIME)
                .map(CapturedPunctuator::getPunctuator)
                .forEach(p -> p.punctuate(wallClock.toEpochMilli()));
        return context.forwarded(TopologyBuilder.COMMANDS_SINK).stream()
                .map(f -> Json.read(f.record().value(), Command.class))
                .filter(c -> c.type().equals(CommandType.EXPIRE_INSTANCES.wire()))
                .toList();
    }

    @Test
    void a_silent_instance_gets_one_expiry_request_while_it_is_pending() {
        // Given
        assertThat(checkExpiryAt(at(40))).hasSize(1);

        // When
        List<Command> again = checkExpiryAt(at(41));

        // Then
        assertThat(again).isEmpty();
    }

    @Test
    void a_revived_task_asks_again_for_an_expiry_request_it_may_have_lost() {
        // Given
        assertThat(checkExpiryAt(at(40))).hasSize(1);

        // When
        processor.init(context);

        // Then
        assertThat(checkExpiryAt(at(41))).hasSize(1);
    }
}
