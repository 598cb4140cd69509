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

    private final MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>();
    private final TaskCommandProcessor processor = new TaskCommandProcessor(PARTITIONS, Duration.ofDays(7));
    private long offset;

    @BeforeEach
    void init() {
        store(TaskStores.TASKS, Serdes.Long(), JsonSerde.of(Task.class));
        store(TaskStores.TASK_INDEX, Serdes.Bytes(), Serdes.ByteArray());
        store(TaskStores.SEQUENCE, Serdes.String(), Serdes.Long());
        store(TaskStores.DEDUP, Serdes.String(), Serdes.ByteArray());
        store(TaskStores.DEDUP_EXPIRY, Serdes.Bytes(), Serdes.ByteArray());
        processor.init(context);
    }

    private <K, V> void store(String name, Serde<K> keys, Serde<V> values) {
        KeyValueStore<K, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keys, values)
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
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
