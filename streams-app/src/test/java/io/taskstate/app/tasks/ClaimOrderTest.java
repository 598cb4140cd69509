package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.release;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskStatus;
import io.taskstate.protocol.Task;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The CLAIM family of the index lists exactly the pending tasks, in the order {@code claim_next}
 * takes them: priority critical to low, then oldest first, then smallest id.
 */
class ClaimOrderTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    private Set<Bytes> claimKeysInTheIndex() {
        return driver.indexKeys().stream().filter(k -> k.get()[0] == TaskIndex.Family.CLAIM.tag())
                .collect(Collectors.toSet());
    }

    private Set<Bytes> claimKeysOfThePendingTasks() {
        return driver.allTasks().values().stream().filter(t -> t.status() == TaskStatus.PENDING)
                .map(TaskIndex::claimKey).collect(Collectors.toSet());
    }

    @Test
    void a_priority_filter_reads_only_that_prioritys_run_of_the_queue_in_claim_order() {
        // Given: pending tasks of every priority, created interleaved, and some no longer pending
        Priority[] priorities = Priority.values();
        for (int i = 0; i < 40; i++) {
            Task t = driver.created("{'title': 't" + i + "', 'priority': '" + priorities[(i * 7) % 4].wire() + "'}", at(i + 1));
            if (i % 5 == 0) {
                driver.updated(t.id(), "{'status': 'in_progress'}", at(i + 1));
            }
        }

        for (Priority p : priorities) {
            // When
            List<Long> read = ClaimQueues.ofPriority(driver.claimQueue(), p).keySet().stream().map(TaskIndex::idOf).toList();

            // Then: exactly the pending tasks of p, oldest first
            List<Long> expected = driver.claimOrder().stream().filter(id -> driver.task(id).priority() == p).toList();
            assertThat(read).as(p.wire()).isNotEmpty().isEqualTo(expected);
        }
        assertThat(ClaimQueues.ofPriority(driver.claimQueue(), null).keySet()).containsExactlyElementsOf(driver.claimQueue().keySet());
    }

    @Test
    void the_queue_outlines_each_pending_task_as_its_last_change_left_it() {
        // Given: a pending task and a pending subtask
        Task parent = driver.created("{'title': 'Write the Docs'}", at(1));
        Task child = driver.created("{'title': 'Draft', 'parent_task_id': " + parent.id() + "}", at(2));

        // When the parent's title and assignee change, and the subtask moves to the top level, all still pending
        driver.updated(parent.id(), "{'title': 'Review PR #7', 'assignee': 'alice'}", at(3));
        driver.updated(child.id(), "{'parent_task_id': null}", at(4));

        // Then a claim filter sees the new title, assignee and parent without reading the tasks
        ClaimQueues.Outline parentOutline = driver.claimQueue().get(TaskIndex.claimKey(driver.task(parent.id())));
        ClaimQueues.Outline childOutline = driver.claimQueue().get(TaskIndex.claimKey(driver.task(child.id())));
        assertThat(parentOutline).isEqualTo(new ClaimQueues.Outline("review pr #7", null, true));
        assertThat(childOutline).isEqualTo(new ClaimQueues.Outline("draft", null, false));
        assertThat(parentOutline.mayPass(io.taskstate.protocol.ClaimFilter.ANY.titleContains("PR #7"))).isTrue();
        assertThat(parentOutline.mayPass(io.taskstate.protocol.ClaimFilter.ANY.titleContains("docs"))).isFalse();
        assertThat(parentOutline.mayPass(io.taskstate.protocol.ClaimFilter.ANY.onlyUnassigned())).isFalse();
        assertThat(childOutline.mayPass(io.taskstate.protocol.ClaimFilter.ANY.parent(parent.id()))).isFalse();
        assertThat(ClaimQueues.Outline.UNKNOWN.mayPass(io.taskstate.protocol.ClaimFilter.ANY.titleContains("x"))).isTrue();
        assertThat(driver.claimOrder()).containsExactly(parent.id(), child.id());
    }

    @Test
    void pending_tasks_are_taken_critical_first_then_high_medium_low() {
        // Given
        Task low = driver.created("{'title': 'low', 'priority': 'low'}", at(1));
        Task critical = driver.created("{'title': 'critical', 'priority': 'critical'}", at(2));
        Task medium = driver.created("{'title': 'medium'}", at(3));
        Task high = driver.created("{'title': 'high', 'priority': 'high'}", at(4));

        // When
        var order = driver.claimOrder();

        // Then
        assertThat(order).containsExactly(critical.id(), high.id(), medium.id(), low.id());
    }

    @Test
    void within_a_priority_the_oldest_task_is_taken_first_whatever_its_id() {
        // Given: task 2 was created (by its record's timestamp) before task 1
        Task newer = driver.created("{'title': 'newer'}", at(20));
        Task older = driver.created("{'title': 'older'}", at(10));

        // When
        var order = driver.claimOrder();

        // Then
        assertThat(older.id()).isGreaterThan(newer.id());
        assertThat(order).containsExactly(older.id(), newer.id());
    }

    @Test
    void tasks_of_one_priority_and_age_are_taken_smallest_id_first() {
        // Given
        for (int i = 0; i < 3; i++) {
            driver.send(create("{'title': 'same time'}"), at(10));
        }

        // When
        var order = driver.claimOrder();

        // Then
        assertThat(order).containsExactly(1L, 2L, 3L);
    }

    @Test
    void a_higher_priority_beats_a_greater_age() {
        // Given
        Task oldLow = driver.created("{'title': 'old low', 'priority': 'low'}", at(1));
        Task newHigh = driver.created("{'title': 'new high', 'priority': 'high'}", at(100));

        // When
        var order = driver.claimOrder();

        // Then
        assertThat(order).containsExactly(newHigh.id(), oldLow.id());
    }

    @Test
    void tasks_that_are_not_pending_are_not_in_the_claim_order() {
        // Given
        Task pending = driver.created("{'title': 'pending'}", at(1));
        driver.created("{'title': 'in progress', 'status': 'in_progress', 'assignee': 'ann'}", at(2));
        driver.created("{'title': 'completed', 'status': 'completed'}", at(3));
        driver.created("{'title': 'blocked', 'status': 'blocked'}", at(4));

        // When
        var order = driver.claimOrder();

        // Then
        assertThat(order).containsExactly(pending.id());
    }

    @Test
    void claimed_task_leaves_the_claim_order() {
        // Given
        Task first = driver.created("{'title': 'first'}", at(1));
        Task second = driver.created("{'title': 'second'}", at(2));

        // When
        driver.claimed(first.id(), "worker-1", at(10));

        // Then
        assertThat(driver.claimOrder()).containsExactly(second.id());
    }

    @Test
    void released_task_returns_to_its_place_by_age_not_by_release_time() {
        // Given
        Task first = driver.created("{'title': 'first'}", at(1));
        Task second = driver.created("{'title': 'second'}", at(2));
        driver.claimed(first.id(), "worker-1", at(10));

        // When
        driver.succeeded(release(first.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(driver.claimOrder()).containsExactly(first.id(), second.id());
    }

    @Test
    void priority_change_of_a_pending_task_moves_it_in_the_claim_order() {
        // Given
        Task first = driver.created("{'title': 'first'}", at(1));
        Task second = driver.created("{'title': 'second'}", at(2));

        // When
        driver.updated(second.id(), "{'priority': 'critical'}", at(10));

        // Then
        assertThat(driver.claimOrder()).containsExactly(second.id(), first.id());
    }

    @Test
    void task_updated_back_to_pending_rejoins_the_claim_order() {
        // Given
        Task blocked = driver.created("{'title': 'blocked', 'status': 'blocked'}", at(1));

        // When
        driver.updated(blocked.id(), "{'status': 'pending'}", at(10));

        // Then
        assertThat(driver.claimOrder()).containsExactly(blocked.id());
    }

    @Test
    void claim_keys_exist_exactly_for_the_pending_tasks_after_a_mixed_history() {
        // Given
        Task a = driver.created("{'title': 'a', 'priority': 'high'}", at(1));
        Task b = driver.created("{'title': 'b', 'status': 'blocked'}", at(2));
        Task c = driver.created("{'title': 'c', 'parent_task_id': 1}", at(3));
        Task d = driver.created("{'title': 'd', 'priority': 'low'}", at(4));
        Task e = driver.created("{'title': 'e'}", at(5));

        // When
        driver.claimed(a.id(), "worker-1", at(10));
        driver.updated(b.id(), "{'status': 'pending', 'priority': 'critical'}", at(11));
        driver.claimed(c.id(), "worker-2", 5, at(12));
        driver.updated(d.id(), "{'priority': 'medium'}", at(13));
        driver.succeeded(complete(e.id(), "{'assignee': 'worker-3', 'force': true}"), at(14));
        driver.succeeded(release(a.id(), "{'assignee': 'worker-1'}"), at(15));
        driver.claimed(d.id(), "worker-1", at(16));
        driver.advanceWallClockTo(at(17));
        driver.send(delete(b.id()), at(18));

        // Then
        assertThat(claimKeysInTheIndex()).isEqualTo(claimKeysOfThePendingTasks());
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
        assertThat(driver.claimOrder()).containsExactly(a.id(), c.id());
    }
}
