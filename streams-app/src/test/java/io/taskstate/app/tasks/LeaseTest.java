package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.release;
import static io.taskstate.app.tasks.TaskDriver.renew;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A claim with {@code lease_seconds} holds the task only until the lease runs out, unless the
 * holder renews it (explicitly, or by heartbeating while the task is its current task). The wall
 * clock decides when to look; the hand-back happens in order with the other commands. The state:
 * task 1, created at 1 s and claimed by worker-1 at 10 s under a 30 s lease, which runs out at 40 s.
 */
class LeaseTest {
    private static final String HOLDER = "worker-1";
    private static final String OTHER_WORKER = "worker-2";
    private static final Instant CLAIMED = at(10);
    private static final Instant RUNS_OUT = at(40);

    private final TaskDriver driver = TaskDriver.withPartitions(1);
    private Task task;
    private Task leased;

    @BeforeEach
    void leasedTask() {
        task = driver.created("{'title': 'build'}", at(1));
        leased = driver.claimed(task.id(), HOLDER, 30, CLAIMED);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    // ---- the lease of a claim ------------------------------------------------------------

    @Test
    void claim_with_a_lease_sets_when_it_runs_out_and_its_length() {
        // Then
        assertThat(leased.leaseExpiresAt()).isEqualTo(RUNS_OUT);
        assertThat(leased.leaseMillis()).isEqualTo(30_000L);
        assertThat(driver.task(task.id())).isEqualTo(leased);
        assertThat(driver.leaseKeys()).containsExactly(TaskIndex.leaseKey(RUNS_OUT, task.id()));
    }

    @Test
    void claim_without_a_lease_has_none() {
        // Given
        Task other = driver.created("{'title': 'unleased'}", at(2));

        // When
        Task claimed = driver.claimed(other.id(), HOLDER, at(11));

        // Then
        assertThat(claimed.leaseExpiresAt()).isNull();
        assertThat(claimed.leaseMillis()).isNull();
        assertThat(driver.leaseKeys()).containsExactly(TaskIndex.leaseKey(RUNS_OUT, task.id()));
    }

    // ---- running out ------------------------------------------------------------------------

    @Test
    void task_whose_lease_ran_out_goes_back_to_pending_unassigned_without_a_lease() {
        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        Task released = driver.task(task.id());
        assertThat(released.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(released.assignee()).isNull();
        assertThat(released.leaseExpiresAt()).isNull();
        assertThat(released.leaseMillis()).isNull();
        assertThat(released.updatedAt()).isEqualTo(RUNS_OUT);
        assertThat(driver.leaseKeys()).isEmpty();
    }

    @Test
    void task_whose_lease_ran_out_says_that_the_holders_lease_expired() {
        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.task(task.id()).statusReason()).contains("Lease").contains(HOLDER).contains("expired");
    }

    @Test
    void lease_running_out_is_applied_through_an_expire_leases_command() {
        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.lastSentCommands(CommandType.EXPIRE_LEASES)).hasSize(1);
        assertThat(driver.lastSnapshots()).containsExactly(new TaskDriver.Snapshot(task.id(), driver.task(task.id())));
    }

    @Test
    void task_whose_lease_ran_out_is_claimable_again_and_indexed_as_pending() {
        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
        assertThat(driver.claimOrder()).containsExactly(task.id());
        assertThat(driver.idsUnder(TaskIndex.prefix(TaskIndex.Family.ASSIGNEE, HOLDER))).isEmpty();
    }

    @Test
    void lease_running_out_clears_the_current_task_of_the_holders_instance() {
        // Given
        assertThat(driver.instance(HOLDER).currentTaskId()).isEqualTo(task.id());

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.instance(HOLDER).currentTaskId()).isNull();
    }

    @Test
    void lease_of_a_claim_issued_to_the_microsecond_runs_out_too() {
        // Given: the SDK stamps commands with their issue time, which the processor takes as the time of the claim
        Task other = driver.created("{'title': 'precise'}", at(2));
        Instant issued = at(11).plusNanos(123_456_000);
        Task claimed = driver.succeeded(new Command("claim-precise", TaskDriver.CLIENT, CommandType.CLAIM_TASK.wire(),
                other.id(), TaskDriver.json("{'assignee': 'worker-2', 'lease_seconds': 30}"), null, issued), at(11));
        assertThat(claimed.leaseExpiresAt()).isEqualTo(issued.plusSeconds(30));

        // When
        driver.advanceWallClockTo(at(42));

        // Then
        assertThat(driver.task(other.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(driver.task(other.id()).statusReason()).contains("Lease").contains(OTHER_WORKER);
    }

    @Test
    void nothing_happens_before_the_lease_runs_out() {
        // When
        driver.advanceWallClockTo(RUNS_OUT.minusMillis(1));

        // Then
        assertThat(driver.task(task.id())).isEqualTo(leased);
        assertThat(driver.lastSentCommands(CommandType.EXPIRE_LEASES)).isEmpty();
        assertThat(driver.lastSnapshots()).isEmpty();
    }

    @Test
    void only_the_leases_that_ran_out_are_handed_back() {
        // Given
        Task longer = driver.created("{'title': 'longer'}", at(2));
        driver.claimed(longer.id(), OTHER_WORKER, 60, at(11));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(driver.task(longer.id()).status()).isEqualTo(TaskStatus.IN_PROGRESS);
        assertThat(driver.task(longer.id()).leaseExpiresAt()).isEqualTo(at(71));
    }

    // ---- renew_lease --------------------------------------------------------------------------

    @Test
    void renewal_by_the_holder_moves_the_end_of_the_lease_to_now_plus_its_length() {
        // When
        Task renewed = driver.succeeded(renew(task.id(), "{'assignee': 'worker-1'}"), at(25));

        // Then
        assertThat(renewed.leaseExpiresAt()).isEqualTo(at(55));
        assertThat(renewed.leaseMillis()).isEqualTo(30_000L);
        assertThat(driver.task(task.id())).isEqualTo(renewed);
        assertThat(driver.leaseKeys()).containsExactly(TaskIndex.leaseKey(at(55), task.id()));
    }

    @Test
    void renewal_with_lease_seconds_gives_the_lease_that_length_from_now_on() {
        // When
        Task renewed = driver.succeeded(renew(task.id(), "{'assignee': 'worker-1', 'lease_seconds': 120}"), at(25));

        // Then
        assertThat(renewed.leaseExpiresAt()).isEqualTo(at(145));
        assertThat(renewed.leaseMillis()).isEqualTo(120_000L);
    }

    @Test
    void renewal_with_a_null_lease_seconds_keeps_the_length_of_the_lease() {
        // When
        Task renewed = driver.succeeded(renew(task.id(), "{'assignee': 'worker-1', 'lease_seconds': null}"), at(25));

        // Then
        assertThat(renewed.leaseExpiresAt()).isEqualTo(at(55));
        assertThat(renewed.leaseMillis()).isEqualTo(30_000L);
    }

    @Test
    void renewed_lease_does_not_run_out_at_its_old_end() {
        // Given
        driver.succeeded(renew(task.id(), "{'assignee': 'worker-1'}"), at(25));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.IN_PROGRESS);
        assertThat(driver.task(task.id()).assignee()).isEqualTo(HOLDER);
    }

    @Test
    void renewed_lease_runs_out_at_its_new_end() {
        // Given
        driver.succeeded(renew(task.id(), "{'assignee': 'worker-1'}"), at(25));
        driver.advanceWallClockTo(RUNS_OUT);

        // When
        driver.advanceWallClockTo(at(55));

        // Then
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.PENDING);
    }

    @Test
    void renewal_by_another_worker_is_a_conflict_naming_the_holder() {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(renew(task.id(), "{'assignee': 'worker-2'}"), at(25));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("held by " + HOLDER + ", not " + OTHER_WORKER);
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void conflict_of_a_renewal_by_another_worker_does_not_suggest_a_force_it_cannot_take() {
        // When
        Reply reply = driver.send(renew(task.id(), "{'assignee': 'worker-2'}"), at(25));

        // Then: renew_lease has no force field; a payload with one is refused as invalid
        assertThat(reply.message()).doesNotContain("force");
    }

    @Test
    void renewal_of_a_task_claimed_without_a_lease_is_a_conflict() {
        // Given
        Task other = driver.created("{'title': 'unleased'}", at(2));
        driver.claimed(other.id(), HOLDER, at(11));

        // When
        Reply reply = driver.send(renew(other.id(), "{'assignee': 'worker-1'}"), at(25));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("claimed without a lease");
        assertThat(driver.task(other.id()).leaseExpiresAt()).isNull();
    }

    @Test
    void renewal_after_the_lease_ran_out_is_a_conflict() {
        // Given
        driver.advanceWallClockTo(RUNS_OUT);

        // When
        Reply reply = driver.send(renew(task.id(), "{'assignee': 'worker-1'}"), at(45));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("is pending");
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.PENDING);
    }

    @Test
    void renewal_with_a_bad_lease_length_is_invalid() {
        // When
        Reply reply = driver.send(renew(task.id(), "{'assignee': 'worker-1', 'lease_seconds': 0}"), at(25));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("lease_seconds must be a whole number of seconds");
        assertThat(driver.task(task.id())).isEqualTo(leased);
    }

    @Test
    void renewal_of_a_missing_task_is_not_found() {
        // When
        Reply reply = driver.send(renew(99, "{'assignee': 'worker-1'}"), at(25));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(reply.message()).isEqualTo("Task 99 not found");
    }

    // ---- renewal by heartbeat -----------------------------------------------------------------

    @Test
    void heartbeat_of_the_holder_whose_current_task_it_is_extends_the_lease() {
        // When
        driver.heartbeat(HOLDER, at(25));

        // Then
        assertThat(driver.lastSentCommands(CommandType.RENEW_FROM_HEARTBEAT)).singleElement()
                .satisfies(c -> assertThat(c.taskId()).isEqualTo(task.id()));
        assertThat(driver.task(task.id()).leaseExpiresAt()).isEqualTo(at(55));
        assertThat(driver.task(task.id()).leaseMillis()).isEqualTo(30_000L);
    }

    @Test
    void lease_extended_by_heartbeat_does_not_run_out_at_its_old_end() {
        // Given
        driver.heartbeat(HOLDER, at(25));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.IN_PROGRESS);
    }

    @Test
    void heartbeat_older_than_the_last_renewal_does_not_shorten_the_lease() {
        // Given
        Task renewed = driver.succeeded(renew(task.id(), "{'assignee': 'worker-1'}"), at(25));

        // When: a heartbeat stamped before the renewal arrives after it
        driver.heartbeat(HOLDER, at(20));

        // Then
        assertThat(driver.task(task.id())).isEqualTo(renewed);
        assertThat(driver.lastSnapshots()).isEmpty();
    }

    @Test
    void heartbeat_of_another_instance_pointing_at_the_task_does_not_extend_the_lease() {
        // Given
        driver.send(setInstanceState(OTHER_WORKER, "{'current_task_id': " + task.id() + "}"), at(20));

        // When
        driver.heartbeat(OTHER_WORKER, at(25));

        // Then
        assertThat(driver.task(task.id())).isEqualTo(leased);
    }

    @Test
    void heartbeat_of_an_instance_without_a_current_task_does_not_extend_the_lease() {
        // When
        driver.heartbeat(OTHER_WORKER, at(25));

        // Then
        assertThat(driver.lastSentCommands(CommandType.RENEW_FROM_HEARTBEAT)).isEmpty();
        assertThat(driver.task(task.id())).isEqualTo(leased);
    }

    @Test
    void heartbeat_of_the_holder_whose_current_task_is_another_task_does_not_extend_the_lease() {
        // Given
        Task next = driver.created("{'title': 'next'}", at(2));
        driver.claimed(next.id(), HOLDER, at(15));

        // When
        driver.heartbeat(HOLDER, at(25));

        // Then
        assertThat(driver.task(task.id()).leaseExpiresAt()).isEqualTo(RUNS_OUT);
    }

    @Test
    void heartbeat_of_the_holder_of_a_task_without_a_lease_changes_nothing() {
        // Given
        Task other = driver.created("{'title': 'unleased'}", at(2));
        Task claimed = driver.claimed(other.id(), HOLDER, at(15));

        // When
        driver.heartbeat(HOLDER, at(25));

        // Then
        assertThat(driver.task(other.id())).isEqualTo(claimed);
        assertThat(driver.lastSnapshots()).isEmpty();
    }

    // ---- leaving in_progress ends the lease ---------------------------------------------------

    @Test
    void completion_ends_the_lease() {
        // Given
        Task completed = driver.succeeded(complete(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(completed.leaseExpiresAt()).isNull();
        assertThat(completed.leaseMillis()).isNull();
        assertThat(driver.task(task.id())).isEqualTo(completed);
        assertThat(driver.leaseKeys()).isEmpty();
        assertThat(driver.lastSnapshots()).isEmpty();
    }

    @Test
    void release_ends_the_lease() {
        // Given
        Task released = driver.succeeded(release(task.id(), "{'assignee': 'worker-1'}"), at(20));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(released.leaseExpiresAt()).isNull();
        assertThat(driver.task(task.id())).isEqualTo(released);
        assertThat(driver.leaseKeys()).isEmpty();
    }

    @Test
    void new_holder_of_a_released_task_is_not_hit_by_the_old_lease() {
        // Given
        driver.succeeded(release(task.id(), "{'assignee': 'worker-1'}"), at(20));
        Task reclaimed = driver.claimed(task.id(), OTHER_WORKER, at(25));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.task(task.id())).isEqualTo(reclaimed);
        assertThat(driver.instance(OTHER_WORKER).currentTaskId()).isEqualTo(task.id());
    }

    @Test
    void update_out_of_in_progress_clears_the_lease() {
        // When
        Task blocked = driver.updated(task.id(), "{'status': 'blocked'}", at(20));

        // Then
        assertThat(blocked.leaseExpiresAt()).isNull();
        assertThat(blocked.leaseMillis()).isNull();
        assertThat(driver.leaseKeys()).isEmpty();
    }

    @Test
    void task_updated_out_of_in_progress_is_not_handed_back_when_the_old_lease_would_have_run_out() {
        // Given
        Task blocked = driver.updated(task.id(), "{'status': 'blocked'}", at(20));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.task(task.id())).isEqualTo(blocked);
    }

    @Test
    void update_that_keeps_the_task_in_progress_keeps_the_lease() {
        // When
        Task retitled = driver.updated(task.id(), "{'title': 'build and test'}", at(20));

        // Then
        assertThat(retitled.leaseExpiresAt()).isEqualTo(RUNS_OUT);
        assertThat(retitled.leaseMillis()).isEqualTo(30_000L);
        assertThat(driver.leaseKeys()).containsExactly(TaskIndex.leaseKey(RUNS_OUT, task.id()));
    }

    @Test
    void instance_expiry_handing_the_task_back_ends_the_lease() {
        try (TaskDriver expiring = ExpiryTest.expiring("release")) {
            // Given: the claim is the holder's only sign of life, and its lease outlasts the instance timeout
            Task t = expiring.created("{'title': 'long'}", at(1));
            expiring.claimed(t.id(), HOLDER, 600, CLAIMED);

            // When
            expiring.advanceWallClockTo(at(40));

            // Then
            assertThat(expiring.task(t.id()).status()).isEqualTo(TaskStatus.PENDING);
            assertThat(expiring.task(t.id()).leaseExpiresAt()).isNull();
            assertThat(expiring.task(t.id()).leaseMillis()).isNull();
            assertThat(expiring.leaseKeys()).isEmpty();
        }
    }

    @Test
    void deleting_a_leased_task_drops_its_lease() {
        // Given
        driver.send(TaskDriver.delete(task.id()), at(20));

        // When
        driver.advanceWallClockTo(RUNS_OUT);

        // Then
        assertThat(driver.leaseKeys()).isEmpty();
        assertThat(driver.lastSentCommands(CommandType.EXPIRE_LEASES)).isEmpty();
        assertThat(driver.allTasks()).isEmpty();
    }

    @Test
    void lease_store_holds_exactly_the_leases_of_the_tasks_after_a_mixed_history() {
        // Given
        Task b = driver.created("{'title': 'b'}", at(2));
        Task c = driver.created("{'title': 'c'}", at(3));
        driver.claimed(b.id(), OTHER_WORKER, 100, at(11));
        driver.claimed(c.id(), "worker-3", 20, at(12));

        // When
        driver.succeeded(renew(b.id(), "{'assignee': 'worker-2', 'lease_seconds': 50}"), at(13));
        driver.send(update(c.id(), "{'priority': 'high'}"), at(14));
        driver.heartbeat(HOLDER, at(15));
        driver.advanceWallClockTo(at(32));

        // Then
        assertThat(driver.leaseKeys()).isEqualTo(driver.expectedLeaseKeys());
        assertThat(driver.task(c.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(driver.task(task.id()).leaseExpiresAt()).isEqualTo(at(45));
        assertThat(Json.MAPPER.valueToTree(driver.task(b.id())).path("lease_expires_at").asText())
                .isEqualTo(at(63).toString());
    }
}
