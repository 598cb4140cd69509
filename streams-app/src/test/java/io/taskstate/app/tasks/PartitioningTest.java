package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Reply;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Ids name their home partition: partition {@code p} of {@code P} hands out
 * {@code seq * P + p + 1}. {@code TopologyTestDriver} feeds every record to partition 0, so the
 * topology is checked as partition 0 of 3; the other partitions are covered by
 * {@link Partitioning} itself and by {@link OtherPartitionTest}.
 */
class PartitioningTest {

    @Nested
    class Ids {
        @Test
        void partition_p_of_P_hands_out_seq_times_P_plus_p_plus_1() {
            // When
            List<Long> partition2Of3 = LongStream.range(0, 4).mapToObj(seq -> Partitioning.taskId(seq, 2, 3)).toList();

            // Then
            assertThat(partition2Of3).containsExactly(3L, 6L, 9L, 12L);
        }

        @Test
        void an_id_names_its_home_partition() {
            // Then
            for (int partitions : new int[] {1, 3, 6, 7}) {
                for (int p = 0; p < partitions; p++) {
                    for (long seq = 0; seq < 50; seq++) {
                        long id = Partitioning.taskId(seq, p, partitions);
                        assertThat(Partitioning.partitionOfTask(id, partitions)).isEqualTo(p);
                    }
                }
            }
        }

        @Test
        void ids_of_different_partitions_never_collide() {
            // When
            long distinct = LongStream.range(0, 100)
                    .flatMap(seq -> LongStream.range(0, 6).map(p -> Partitioning.taskId(seq, (int) p, 6)))
                    .distinct().count();

            // Then
            assertThat(distinct).isEqualTo(600);
        }

        @Test
        void with_one_partition_ids_are_1_2_3() {
            // Then
            assertThat(LongStream.range(0, 3).map(seq -> Partitioning.taskId(seq, 0, 1)).toArray()).containsExactly(1, 2, 3);
        }

        @Test
        void ids_are_positive() {
            // Then
            assertThatThrownBy(() -> Partitioning.partitionOfTask(0, 3)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void id_overflow_is_an_error_not_a_negative_id() {
            // Then
            assertThatThrownBy(() -> Partitioning.taskId(Long.MAX_VALUE / 2, 1, 3)).isInstanceOf(ArithmeticException.class);
        }
    }

    @Nested
    class Partition0Of3 {
        @Test
        void ids_are_1_4_7() {
            try (TaskDriver driver = TaskDriver.withPartitions(3)) {
                // When
                List<Long> ids = List.of(
                        driver.created("{'title': 'a'}").id(),
                        driver.created("{'title': 'b'}").id(),
                        driver.created("{'title': 'c'}").id());

                // Then
                assertThat(ids).containsExactly(1L, 4L, 7L);
            }
        }

        @Test
        void subtask_lives_on_its_parents_partition() {
            try (TaskDriver driver = TaskDriver.withPartitions(3)) {
                // Given
                long parent = driver.created("{'title': 'parent'}").id();

                // When
                long child = driver.created("{'title': 'child', 'parent_task_id': " + parent + "}").id();

                // Then
                assertThat(Partitioning.partitionOfTask(child, 3)).isEqualTo(Partitioning.partitionOfTask(parent, 3));
            }
        }

        @Test
        void update_of_a_task_of_another_partition_is_not_found_here() {
            try (TaskDriver driver = TaskDriver.withPartitions(3)) {
                // Given: ids 1, 4 live here; 2 would live on partition 1
                driver.created("{'title': 'a'}");
                driver.created("{'title': 'b'}");
                TaskDriver.State before = driver.state();

                // When
                Reply reply = driver.send(update(2, "{'title': 'x'}"));

                // Then
                assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
                assertThat(driver.state()).isEqualTo(before);
            }
        }

        @Test
        void delete_of_a_task_of_another_partition_is_not_found_here() {
            try (TaskDriver driver = TaskDriver.withPartitions(3)) {
                // Given
                driver.created("{'title': 'a'}");

                // When
                Reply reply = driver.send(delete(3));

                // Then
                assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
            }
        }

        @Test
        void subtask_create_sent_to_the_wrong_partition_is_refused_with_the_reason() {
            try (TaskDriver driver = TaskDriver.withPartitions(3)) {
                // Given
                driver.created("{'title': 'a'}");
                TaskDriver.State before = driver.state();

                // When
                Reply reply = driver.send(create("{'title': 'child', 'parent_task_id': 2}"));

                // Then
                assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
                assertThat(reply.message()).contains("Parent task 2 lives on partition 1, not 0");
                assertThat(driver.state()).isEqualTo(before);
            }
        }

        @Test
        void moving_a_task_under_a_parent_of_another_partition_is_refused_with_the_reason() {
            try (TaskDriver driver = TaskDriver.withPartitions(3)) {
                // Given
                long task = driver.created("{'title': 'a'}").id();

                // When
                Reply reply = driver.send(update(task, "{'parent_task_id': 5}"));

                // Then
                assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
                assertThat(reply.message()).contains("cannot move under task 5").contains("partition");
                assertThat(driver.task(task).parentTaskId()).isNull();
            }
        }
    }
}
