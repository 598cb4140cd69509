package io.taskstate.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The graph walk before a write with depends_on, over a map of tasks standing in for the reads. */
class DependencyWalkTest {
    private final Map<Long, Task> tasks = new HashMap<>();
    private final List<Long> reads = new ArrayList<>();
    private final DependencyWalk walk = new DependencyWalk(id -> {
        reads.add(id);
        return CompletableFuture.completedFuture(Optional.ofNullable(tasks.get(id)));
    });

    private void task(long id, Long... dependsOn) {
        Instant t = Instant.parse("2025-03-01T09:00:00Z");
        tasks.put(id, new Task(id, "t" + id, null, TaskStatus.PENDING, Priority.MEDIUM, null, null, List.of(), null, t, t, null,
                null).withDependencies(List.of(dependsOn), List.of(dependsOn)));
    }

    private static JsonNode ids(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void a_missing_dependency_is_named() {
        // Given
        task(1);

        // When
        String problem = walk.problem(null, ids("[1, 8]")).join();

        // Then
        assertThat(problem).isEqualTo("Task 8 does not exist: depends_on may only name existing tasks");
    }

    @Test
    void a_cycle_is_reported_with_its_path_from_the_task_back_to_it() {
        // Given 12 -> 9 -> 7
        task(7);
        task(9, 7L);
        task(12, 9L);

        // When 7 -> 12
        String problem = walk.problem(7L, ids("[12]")).join();

        // Then
        assertThat(problem).startsWith("depends_on would make a cycle: 7 -> 12 -> 9 -> 7");
    }

    @Test
    void a_graph_without_a_way_back_is_accepted() {
        // Given
        task(1);
        task(2, 1L);
        task(3, 1L, 2L);

        // When
        String problem = walk.problem(4L, ids("[3, 2]")).join();

        // Then
        assertThat(problem).isNull();
        assertThat(reads).containsExactlyInAnyOrder(3L, 2L, 1L);
    }

    @Test
    void a_create_checks_existence_only() {
        // Given
        task(1, 2L);
        task(2);

        // When
        String problem = walk.problem(null, ids("[1]")).join();

        // Then
        assertThat(problem).isNull();
        assertThat(reads).containsExactly(1L);
    }

    @Test
    void malformed_input_is_left_to_the_processor_without_reading() {
        assertThat(walk.problem(1L, ids("[\"x\"]")).join()).isNull();
        assertThat(walk.problem(1L, ids("5")).join()).isNull();
        assertThat(walk.problem(1L, ids("[1]")).join()).isNull();
        assertThat(reads).isEmpty();
    }
}
