package io.taskstate.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

/** Ids name their home partition, so a task, its commands and its queries meet on one partition. */
class PartitioningTest {

    @Test
    void a_task_id_names_its_home_partition() {
        assertThat(LongStream.rangeClosed(1, 7).mapToObj(id -> Partitioning.partitionOfTask(id, 3)).toList())
                .containsExactly(0, 1, 2, 0, 1, 2, 0);
        assertThat(Partitioning.partitionOfTask(1, 1)).isZero();
    }

    @Test
    void ids_handed_out_by_the_partitions_never_collide_and_each_leads_back_home() {
        for (int partitions : List.of(1, 3, 6)) {
            Set<Long> ids = new HashSet<>();
            for (int partition = 0; partition < partitions; partition++) {
                for (long seq = 0; seq < 100; seq++) {
                    long id = Partitioning.taskId(seq, partition, partitions);
                    assertThat(Partitioning.partitionOfTask(id, partitions)).as("home of %d", id).isEqualTo(partition);
                    assertThat(ids.add(id)).as("%d handed out once", id).isTrue();
                }
            }
            assertThat(ids).as("ids of %d partitions", partitions)
                    .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, 100L * partitions).boxed().toList());
        }
    }

    @Test
    void the_first_id_of_each_partition_is_one_more_than_the_partition() {
        assertThat(Partitioning.taskId(0, 0, 3)).isEqualTo(1);
        assertThat(Partitioning.taskId(0, 2, 3)).isEqualTo(3);
        assertThat(Partitioning.taskId(1, 0, 3)).isEqualTo(4);
    }

    @Test
    void ids_that_are_not_positive_are_refused() {
        assertThatThrownBy(() -> Partitioning.partitionOfTask(0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("Task ids are positive, got 0");
        assertThatThrownBy(() -> Partitioning.partitionOfTask(-5, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_sequence_past_the_id_space_overflows_loudly_instead_of_wrapping() {
        assertThatThrownBy(() -> Partitioning.taskId(Long.MAX_VALUE / 2, 0, 3)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void string_keys_land_where_kafkas_default_partitioner_puts_them() {
        for (String key : List.of("sdk-1", "agent-7", "worker-üñí", "", "a-much-longer-client-id-0123456789")) {
            for (int partitions : List.of(1, 3, 6, 50)) {
                assertThat(Partitioning.partitionOfKey(key, partitions)).as("%s of %d", key, partitions)
                        .isEqualTo(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), partitions));
            }
        }
    }
}
