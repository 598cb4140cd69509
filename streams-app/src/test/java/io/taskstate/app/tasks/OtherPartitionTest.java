package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import io.taskstate.app.TaskStateConfig;
import java.io.File;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The processor as partition 2 of 3, which {@code TopologyTestDriver} cannot show (it feeds every
 * record to partition 0). The processor runs alone on a {@link MockProcessorContext} with
 * in-memory stores of the same names and serdes as {@link TopologyBuilder}'s; every other rule is
 * tested through the real topology.
 */
class OtherPartitionTest {
    private static final int PARTITIONS = 3;
    private static final int PARTITION = 2;

    private final MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>(mockConfig(),
            new TaskId(0, PARTITION), new File(System.getProperty("java.io.tmpdir")));
    private final CommandProcessor processor = TopologyBuilder.processor(
            TaskStateConfig.from(Map.of(TaskStateConfig.PARTITIONS, Integer.toString(PARTITIONS))));
    private long offset;

    @BeforeEach
    void init() {
        for (StoreBuilder<?> builder : TopologyBuilder.stores(true)) {
            StateStore store = builder.build();
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
        }
        processor.init(context);
    }

    private static Properties mockConfig() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "other-partition-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return p;
    }

    private Reply send(Command command) {
        context.resetForwards();
        context.setRecordMetadata("taskstate.task-commands", PARTITION, offset++);
        processor.process(new Record<>(null, Json.bytes(command), TaskDriver.START.plusSeconds(offset).toEpochMilli()));
        List<CapturedForward<? extends byte[], ? extends byte[]>> replies = context.forwarded(TopologyBuilder.REPLIES_SINK);
        assertThat(replies).hasSize(1);
        return Json.read(replies.get(0).record().value(), Reply.class);
    }

    private long createdId(String payload) {
        Reply reply = send(create(payload));
        assertThat(reply.isOk()).as(reply.message()).isTrue();
        return Json.convert(reply.result(), Task.class).id();
    }

    @Test
    void partition_2_of_3_hands_out_3_6_9() {
        // When
        List<Long> ids = List.of(createdId("{'title': 'a'}"), createdId("{'title': 'b'}"), createdId("{'title': 'c'}"));

        // Then
        assertThat(ids).containsExactly(3L, 6L, 9L);
    }

    @Test
    void subtask_lives_on_its_parents_partition() {
        // Given
        long parent = createdId("{'title': 'parent'}");

        // When
        long child = createdId("{'title': 'child', 'parent_task_id': " + parent + "}");

        // Then
        assertThat(Partitioning.partitionOfTask(child, PARTITIONS)).isEqualTo(PARTITION);
        KeyValueStore<Long, Task> tasks = context.getStateStore(TaskStores.TASKS);
        assertThat(tasks.get(parent).subtaskIds()).containsExactly(child);
    }

    @Test
    void task_of_partition_0_is_not_found_on_partition_2() {
        // When
        Reply reply = send(update(1, "{'title': 'x'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
    }

    @Test
    void subtask_create_for_a_parent_of_partition_0_is_refused_with_the_reason() {
        // When
        Reply reply = send(create("{'title': 'child', 'parent_task_id': 1}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("Parent task 1 lives on partition 0, not 2");
    }

    @Test
    void timestamps_come_from_the_record_on_every_partition() {
        // When
        Reply reply = send(create("{'title': 'a'}"));

        // Then
        assertThat(Json.convert(reply.result(), Task.class).createdAt()).isEqualTo(TaskDriver.START.plusSeconds(1));
        assertThat(Instant.ofEpochMilli(context.forwarded(TopologyBuilder.TASKS_SINK).get(0).record().timestamp()))
                .isEqualTo(TaskDriver.START.plusSeconds(1));
    }
}
