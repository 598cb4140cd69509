package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.claim;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.json;
import static io.taskstate.app.tasks.TaskDriver.release;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stats store is a running count of the task store: after any sequence of changes it equals a
 * recount of the tasks by status, priority and assignee.
 */
class StatsTest {
    private static final String[] STATUSES = {"pending", "in_progress", "completed", "blocked"};
    private static final String[] PRIORITIES = {"low", "medium", "high", "critical"};
    private static final String[] WORKERS = {"w1", "w2", "w3"};

    private final TaskDriver driver = TaskDriver.with(Map.of(TaskStateConfig.INSTANCE_TIMEOUT, "PT30S"));

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void counts_follow_creates_changes_and_deletes() {
        // Given
        Task a = driver.created("{'title': 'a', 'assignee': 'w1', 'priority': 'high'}");
        driver.created("{'title': 'b', 'parent_task_id': " + a.id() + ", 'status': 'blocked', 'assignee': 'w1'}");
        Task c = driver.created("{'title': 'c'}");

        // When
        driver.updated(c.id(), "{'status': 'in_progress', 'assignee': 'w2'}");
        driver.send(delete(a.id()));

        // Then
        assertThat(driver.stats()).isEqualTo(Map.of("total", 1L, "status/in_progress", 1L, "priority/medium", 1L,
                "assignee/w2", 1L));
    }

    @Test
    void counts_equal_a_recount_after_a_random_workload() {
        // Given
        Random random = new Random(42);

        // When
        for (int step = 0; step < 600; step++) {
            List<Long> ids = new ArrayList<>(driver.allTasks().keySet());
            long id = ids.isEmpty() ? 1 : ids.get(random.nextInt(ids.size()));
            String worker = WORKERS[random.nextInt(WORKERS.length)];
            switch (ids.isEmpty() ? 0 : random.nextInt(9)) {
                case 0, 1 -> driver.send(create(json("{'title': 't" + step + "', 'priority': '" + pick(random, PRIORITIES)
                        + "', 'status': '" + pick(random, STATUSES) + "'" + (random.nextBoolean() ? ", 'assignee': '" + worker + "'" : "")
                        + (random.nextInt(3) == 0 && !ids.isEmpty() ? ", 'parent_task_id': " + id : "") + "}")));
                case 2 -> driver.send(update(id, "{'status': '" + pick(random, STATUSES) + "'}"));
                case 3 -> driver.send(update(id, "{'priority': '" + pick(random, PRIORITIES) + "', 'assignee': "
                        + (random.nextBoolean() ? "null" : "'" + worker + "'") + "}"));
                case 4 -> driver.send(claim(id, "{'assignee': '" + worker + "', 'lease_seconds': 20}"));
                case 5 -> driver.send(complete(id, "{'assignee': '" + worker + "'}"));
                case 6 -> driver.send(release(id, "{'assignee': '" + worker + "'}"));
                case 7 -> driver.send(random.nextInt(3) == 0 ? delete(id) : update(id, "{'title': 'renamed " + step + "'}"));
                default -> {
                    driver.heartbeat(worker, driver.now());
                    // leases run out and silent workers' tasks go back to pending: changes the app makes itself
                    driver.advanceWallClockTo(driver.now().plusSeconds(random.nextInt(40)));
                }
            }
        }

        // Then
        assertThat(driver.allTasks()).isNotEmpty();
        assertThat(driver.stats()).isEqualTo(driver.recountedStats());
    }

    private static String pick(Random random, String[] values) {
        return values[random.nextInt(values.length)];
    }
}
