package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.ExpiryTest.LAST_HEARD;
import static io.taskstate.app.tasks.ExpiryTest.SILENT;
import static io.taskstate.app.tasks.ExpiryTest.WORKER;
import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the {@code keep} and {@code block} expiry policies do with a silent instance's tasks. */
class ExpiryPolicyTest {
    private TaskDriver driver;
    private Task held;
    private Task pending;

    @AfterEach
    void close() {
        driver.close();
    }

    /** WORKER holds {@link #held}, names it its current task, and falls silent after {@link ExpiryTest#LAST_HEARD}. */
    private void workerHoldingATask(String policy) {
        driver = ExpiryTest.expiring(policy);
        held = driver.created("{'title': 'held', 'status': 'in_progress', 'assignee': '" + WORKER + "'}", at(1));
        pending = driver.created("{'title': 'pending', 'assignee': '" + WORKER + "'}", at(2));
        driver.send(setInstanceState(WORKER, "{'status': 'busy', 'current_task_id': " + held.id() + "}"), LAST_HEARD);
    }

    @Test
    void keep_leaves_the_tasks_of_a_silent_instance_as_they_are() {
        // Given
        workerHoldingATask("keep");
        TaskDriver.State before = driver.state();

        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.lastSnapshots()).isEmpty();
        assertThat(driver.lastSentCommands(CommandType.RELEASE_EXPIRED)).isEmpty();
    }

    @Test
    void keep_still_marks_the_silent_instance_expired() {
        // Given
        workerHoldingATask("keep");

        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.instance(WORKER).expiredAt()).isEqualTo(SILENT);
        assertThat(driver.lastInstanceSnapshots()).containsExactly(driver.instance(WORKER));
    }

    @Test
    void keep_leaves_the_silent_instance_pointing_at_its_task() {
        // Given
        workerHoldingATask("keep");

        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.instance(WORKER).currentTaskId()).isEqualTo(held.id());
    }

    @Test
    void block_moves_in_progress_tasks_to_blocked_and_keeps_the_assignee() {
        // Given
        workerHoldingATask("block");

        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        Task blocked = driver.task(held.id());
        assertThat(blocked.status()).isEqualTo(TaskStatus.BLOCKED);
        assertThat(blocked.assignee()).isEqualTo(WORKER);
        assertThat(blocked.updatedAt()).isEqualTo(SILENT);
        assertThat(blocked.statusReason()).contains(WORKER).contains("stopped heartbeating");
    }

    @Test
    void block_leaves_tasks_that_are_not_in_progress_alone() {
        // Given
        workerHoldingATask("block");

        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.task(pending.id())).isEqualTo(pending);
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
    }

    @Test
    void block_replayed_changes_nothing_more() {
        // Given
        workerHoldingATask("block");
        driver.advanceWallClockTo(SILENT);
        TaskDriver.State before = driver.state();

        // When
        driver.deliver(driver.lastSentCommands(CommandType.RELEASE_EXPIRED).get(0).withId("late"), at(41));

        // Then
        assertThat(driver.state()).isEqualTo(before);
    }
}
