package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.release;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.tasks.TaskIndex.Family;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The index store holds exactly {@link TaskIndex#keysOf} of every live task: nothing missing
 * after a change, nothing left behind by one.
 */
class IndexConsistencyTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    private void assertIndexMatchesTasks() {
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
    }

    @Test
    void index_matches_after_creates() {
        // When
        Task parent = driver.created("{'title': 'a', 'assignee': 'ann', 'priority': 'high'}");
        driver.created("{'title': 'b', 'parent_task_id': " + parent.id() + ", 'status': 'blocked'}");

        // Then
        assertIndexMatchesTasks();
    }

    @Test
    void index_matches_after_changing_status_priority_and_assignee() {
        // Given
        Task task = driver.created("{'title': 'a', 'assignee': 'ann'}");

        // When
        driver.updated(task.id(), "{'status': 'in_progress', 'priority': 'low', 'assignee': 'bob'}");

        // Then
        assertIndexMatchesTasks();
        assertThat(driver.idsUnder(TaskIndex.prefix(Family.ASSIGNEE, "ann"))).isEmpty();
        assertThat(driver.idsUnder(TaskIndex.prefix(Family.ASSIGNEE, "bob"))).containsExactly(task.id());
    }

    @Test
    void index_matches_after_clearing_the_assignee() {
        // Given
        Task task = driver.created("{'title': 'a', 'assignee': 'ann'}");

        // When
        driver.updated(task.id(), "{'assignee': null}");

        // Then
        assertIndexMatchesTasks();
        assertThat(driver.idsUnder(TaskIndex.prefix(Family.ASSIGNEE, "ann"))).isEmpty();
    }

    @Test
    void index_matches_after_reparenting() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = driver.created("{'title': 'b'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + a.id() + "}");

        // When
        driver.updated(child.id(), "{'parent_task_id': " + b.id() + "}");

        // Then
        assertIndexMatchesTasks();
        assertThat(driver.idsUnder(TaskIndex.prefix(Family.PARENT, Long.toString(a.id())))).isEmpty();
        assertThat(driver.idsUnder(TaskIndex.prefix(Family.PARENT, Long.toString(b.id())))).containsExactly(child.id());
    }

    @Test
    void index_matches_after_a_cascading_delete() {
        // Given
        Task root = driver.created("{'title': 'root', 'assignee': 'ann'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + root.id() + ", 'assignee': 'bob'}");
        driver.created("{'title': 'grandchild', 'parent_task_id': " + child.id() + ", 'status': 'completed'}");
        driver.created("{'title': 'survivor', 'assignee': 'ann'}");

        // When
        driver.send(delete(root.id()));

        // Then
        assertIndexMatchesTasks();
    }

    @Test
    void index_matches_after_a_mixed_history() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = driver.created("{'title': 'b', 'parent_task_id': " + a.id() + "}");
        Task c = driver.created("{'title': 'c', 'parent_task_id': " + b.id() + "}");
        Task d = driver.created("{'title': 'd'}");

        // When
        driver.updated(c.id(), "{'parent_task_id': " + d.id() + ", 'status': 'completed'}");
        driver.send(update(b.id(), "{'status': 'bogus'}"));
        driver.updated(a.id(), "{'priority': 'critical', 'assignee': 'x'}");
        driver.send(delete(a.id()));
        driver.updated(d.id(), "{'title': 'd2'}");

        // Then
        assertIndexMatchesTasks();
        assertThat(driver.allTasks()).containsOnlyKeys(c.id(), d.id());
    }

    @Test
    void index_matches_after_claims_releases_completions_and_a_lease_running_out() {
        // Given
        Task a = driver.created("{'title': 'a', 'priority': 'critical'}", at(1));
        Task b = driver.created("{'title': 'b', 'assignee': 'ann'}", at(2));
        Task c = driver.created("{'title': 'c', 'parent_task_id': " + a.id() + "}", at(3));

        // When
        driver.claimed(a.id(), "worker-1", at(10));
        driver.claimed(b.id(), "worker-2", 5, at(11));
        driver.claimed(c.id(), "worker-3", at(12));
        driver.succeeded(release(a.id(), "{'assignee': 'worker-1'}"), at(13));
        driver.succeeded(complete(c.id(), "{'assignee': 'worker-3', 'metadata': {'ok': true}}"), at(14));
        driver.advanceWallClockTo(at(16));

        // Then
        assertIndexMatchesTasks();
        assertThat(driver.task(b.id()).status()).isEqualTo(TaskStatus.PENDING);
    }

    @Test
    void index_comparison_covers_the_claim_family() {
        // Given
        Task pending = driver.created("{'title': 'pending'}", at(1));
        Task claimed = driver.created("{'title': 'claimed'}", at(2));

        // When
        driver.claimed(claimed.id(), "worker-1", at(10));

        // Then
        assertThat(driver.indexKeys()).contains(TaskIndex.claimKey(driver.task(pending.id())))
                .doesNotContain(TaskIndex.claimKey(driver.task(claimed.id())));
        assertIndexMatchesTasks();
    }

    @Test
    void index_scan_lists_newest_first() {
        // Given
        Task older = driver.created("{'title': 'older'}");
        driver.send(TaskDriver.create("{'title': 'newer'}"), Instant.parse("2025-03-02T00:00:00Z"));
        long newer = older.id() + 1;

        // When
        var ids = driver.idsUnder(TaskIndex.prefix(Family.STATUS, "pending"));

        // Then
        assertThat(ids).containsExactly(newer, older.id());
    }

    @Test
    void root_tasks_are_listed_under_the_empty_parent() {
        // Given
        Task root = driver.created("{'title': 'root'}");
        driver.created("{'title': 'child', 'parent_task_id': " + root.id() + "}");

        // When
        var ids = driver.idsUnder(TaskIndex.prefix(Family.PARENT, ""));

        // Then
        assertThat(ids).containsExactly(root.id());
    }
}
