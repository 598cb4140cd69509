package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code complete_task} marks a task completed. Only the holder of an in-progress task may, unless
 * forced; a task not in progress needs {@code force}; given metadata is merged into the task's.
 * The state: task 1 with metadata {@code {'repo': 'app', 'stage': 'build'}}, created at 1 s and
 * claimed by worker-1 at 10 s.
 */
class CompleteTest {
    private static final String HOLDER = "worker-1";

    private final TaskDriver driver = TaskDriver.withPartitions(1);
    private Task task;

    @BeforeEach
    void claimedTask() {
        task = driver.created("{'title': 'build', 'metadata': {'repo': 'app', 'stage': 'build'}}", at(1));
        driver.claimed(task.id(), HOLDER, at(10));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void completion_by_the_holder_marks_the_task_completed_at_the_command_time() {
        // When
        Reply reply = driver.send(complete(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        Task completed = driver.task(task.id());
        assertThat(completed.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(completed.completedAt()).isEqualTo(at(20));
        assertThat(completed.updatedAt()).isEqualTo(at(20));
        assertThat(completed.assignee()).isEqualTo(HOLDER);
        assertThat(Json.convert(reply.result(), Task.class)).isEqualTo(completed);
    }

    @Test
    void completion_publishes_the_task_and_keeps_the_indexes_in_step() {
        // When
        Task completed = driver.succeeded(complete(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(driver.lastSnapshots()).containsExactly(new TaskDriver.Snapshot(task.id(), completed));
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
        assertThat(driver.idsUnder(TaskIndex.prefix(TaskIndex.Family.STATUS, "completed"))).containsExactly(task.id());
    }

    @Test
    void completion_merges_the_given_metadata_into_the_tasks_keeping_other_keys() {
        // When
        Task completed = driver.succeeded(complete(task.id(),
                "{'assignee': 'worker-1', 'metadata': {'stage': 'done', 'artifact': 'app.jar'}}"), at(20));

        // Then
        assertThat(completed.metadata()).isEqualTo(json("{'repo': 'app', 'stage': 'done', 'artifact': 'app.jar'}"));
        assertThat(driver.task(task.id()).metadata()).isEqualTo(completed.metadata());
    }

    @Test
    void completion_without_metadata_keeps_the_tasks_metadata() {
        // When
        Task completed = driver.succeeded(complete(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(completed.metadata()).isEqualTo(json("{'repo': 'app', 'stage': 'build'}"));
    }

    @Test
    void completion_clears_the_current_task_of_the_holders_instance() {
        // When
        driver.succeeded(complete(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(driver.instance(HOLDER).currentTaskId()).isNull();
    }

    @Test
    void completion_by_another_worker_is_a_conflict_naming_the_holder() {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(complete(task.id(), "{'assignee': 'worker-2'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("held by " + HOLDER + ", not worker-2").contains("force=true");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void forced_completion_by_another_worker_completes_the_task_and_frees_the_holder() {
        // When
        Task completed = driver.succeeded(complete(task.id(), "{'assignee': 'worker-2', 'force': true}"), at(20));

        // Then
        assertThat(completed.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(driver.instance(HOLDER).currentTaskId()).isNull();
    }

    @Test
    void completion_of_a_pending_task_without_force_is_a_conflict() {
        // Given
        Task pending = driver.created("{'title': 'waiting'}", at(2));

        // When
        Reply reply = driver.send(complete(pending.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("is pending, not in progress").contains("force=true");
        assertThat(driver.task(pending.id())).isEqualTo(pending);
    }

    @Test
    void forced_completion_of_a_pending_task_completes_it_for_the_given_assignee() {
        // Given
        Task pending = driver.created("{'title': 'waiting'}", at(2));

        // When
        Task completed = driver.succeeded(complete(pending.id(), "{'assignee': 'worker-1', 'force': true}"), at(20));

        // Then
        assertThat(completed.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(completed.completedAt()).isEqualTo(at(20));
        assertThat(completed.assignee()).isEqualTo(HOLDER);
        assertThat(driver.claimOrder()).doesNotContain(pending.id());
    }

    @Test
    void completion_of_a_blocked_task_without_force_is_a_conflict() {
        // Given
        Task blocked = driver.created("{'title': 'stuck', 'status': 'blocked', 'assignee': 'worker-1'}", at(2));

        // When
        Reply reply = driver.send(complete(blocked.id(), "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("is blocked, not in progress");
    }

    @Test
    void completion_of_a_completed_task_is_a_conflict_even_when_forced() {
        // Given
        Task completed = driver.succeeded(complete(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // When
        Reply reply = driver.send(complete(task.id(), "{'assignee': 'worker-1', 'force': true}"), at(30));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).isEqualTo("Task " + task.id() + " is already completed");
        assertThat(driver.task(task.id())).isEqualTo(completed);
    }

    @Test
    void completion_with_metadata_that_is_not_an_object_is_invalid() {
        // When
        Reply reply = driver.send(complete(task.id(), "{'assignee': 'worker-1', 'metadata': 'done'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("metadata must be a JSON object, got string");
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.IN_PROGRESS);
    }

    @Test
    void completion_with_an_unknown_field_is_invalid_and_lists_the_allowed_ones() {
        // When
        Reply reply = driver.send(complete(task.id(), "{'assignee': 'worker-1', 'result': 'ok'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid field: result. Allowed: assignee, metadata, force");
    }

    @Test
    void completion_of_a_missing_task_is_not_found() {
        // When
        Reply reply = driver.send(complete(99, "{'assignee': 'worker-1'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(reply.message()).isEqualTo("Task 99 not found");
    }
}
