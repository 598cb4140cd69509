package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.release;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code release_task} hands an in-progress task back to pending. Only its holder may, unless the
 * release is forced; the holder's instance stops pointing at it. The state: task 1, created at
 * 1 s and claimed by worker-1 at 10 s.
 */
class ReleaseTest {
    private static final String HOLDER = "worker-1";
    private static final String OTHER_WORKER = "worker-2";

    private final TaskDriver driver = TaskDriver.withPartitions(1);
    private Task task;

    @BeforeEach
    void claimedTask() {
        task = driver.created("{'title': 'build'}", at(1));
        driver.claimed(task.id(), HOLDER, at(10));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void release_by_the_holder_puts_the_task_back_to_pending_unassigned() {
        // When
        Reply reply = driver.send(release(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        Task released = new Task(task.id(), "build", null, TaskStatus.PENDING, Priority.MEDIUM, null, null, List.of(),
                Json.object(), at(1), at(20), null, null, null, null);
        assertThat(driver.task(task.id())).isEqualTo(released);
        assertThat(Json.convert(reply.result(), Task.class)).isEqualTo(released);
    }

    @Test
    void release_puts_the_task_back_in_the_claim_order_and_out_of_the_holders_index() {
        // When
        driver.succeeded(release(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
        assertThat(driver.claimOrder()).containsExactly(task.id());
        assertThat(driver.idsUnder(TaskIndex.prefix(TaskIndex.Family.ASSIGNEE, HOLDER))).isEmpty();
    }

    @Test
    void release_clears_the_current_task_of_the_holders_instance() {
        // When
        driver.succeeded(release(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(driver.instance(HOLDER).currentTaskId()).isNull();
    }

    @Test
    void release_leaves_the_holders_current_task_alone_when_it_points_at_another_task() {
        // Given
        Task next = driver.created("{'title': 'next'}", at(2));
        driver.claimed(next.id(), HOLDER, at(15));

        // When
        driver.succeeded(release(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(driver.instance(HOLDER).currentTaskId()).isEqualTo(next.id());
    }

    @Test
    void release_by_another_worker_is_a_conflict_naming_the_holder() {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(release(task.id(), "{'assignee': 'worker-2'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("held by " + HOLDER + ", not " + OTHER_WORKER).contains("force=true");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void forced_release_by_another_worker_releases_the_task() {
        // When
        Task released = driver.succeeded(release(task.id(), "{'assignee': 'worker-2', 'force': true}"), at(20));

        // Then
        assertThat(released.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(released.assignee()).isNull();
    }

    @Test
    void forced_release_clears_the_current_task_of_the_holder_not_of_the_releaser() {
        // Given
        Task other = driver.created("{'title': 'other'}", at(2));
        driver.claimed(other.id(), OTHER_WORKER, at(11));

        // When
        driver.succeeded(release(task.id(), "{'assignee': 'worker-2', 'force': true}"), at(20));

        // Then
        assertThat(driver.instance(HOLDER).currentTaskId()).isNull();
        assertThat(driver.instance(OTHER_WORKER).currentTaskId()).isEqualTo(other.id());
    }

    @Test
    void release_of_a_pending_task_is_a_conflict() {
        // Given
        Task pending = driver.created("{'title': 'waiting'}", at(3));

        // When
        Reply reply = driver.send(release(pending.id(), "{'assignee': 'worker-1', 'force': true}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).isEqualTo("Task " + pending.id() + " is pending; only an in-progress task can be released");
    }

    @Test
    void release_of_a_missing_task_is_not_found() {
        // When
        Reply reply = driver.send(release(99, "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(reply.message()).isEqualTo("Task 99 not found");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"{}", "{'assignee': ''}", "{'force': true}"})
    void release_without_an_assignee_is_invalid(String payload) {
        // When
        Reply reply = driver.send(release(task.id(), payload), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("assignee is required");
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.IN_PROGRESS);
    }

    @Test
    void release_with_a_force_that_is_not_a_boolean_is_invalid() {
        // When
        Reply reply = driver.send(release(task.id(), "{'assignee': 'worker-2', 'force': 'yes'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("force must be true or false, got \"yes\"");
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.IN_PROGRESS);
    }

    @Test
    void release_with_an_unknown_field_is_invalid_and_lists_the_allowed_ones() {
        // When
        Reply reply = driver.send(release(task.id(), "{'assignee': 'worker-1', 'reason': 'tired'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid field: reason. Allowed: assignee, force");
    }
}
