package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An instance whose heartbeats stop for the instance timeout (30 s here) is marked expired, and
 * under the default policy, {@code release}, its in-progress tasks go back to {@code pending}.
 * The wall clock only decides when to look; what expires, and when, follows the record timestamps.
 */
class ExpiryTest {
    static final String WORKER = "worker-1";
    static final String OTHER_WORKER = "worker-2";
    // Tasks are created at 1..5 s. WORKER is last heard of at 10 s, so from 40 s on it has been
    // silent for the timeout; OTHER_WORKER is last heard of at 30 s and stays alive until 60 s.
    static final Instant LAST_HEARD = at(10);
    static final Instant SILENT = at(40);

    private final TaskDriver driver = expiring("release");
    private Task held;
    private Task pending;
    private Task completed;
    private Task heldByOther;
    private Task heldByNobodyKnown;

    /** A driver whose instances time out after 30 s of silence, under {@code policy}. */
    static TaskDriver expiring(String policy) {
        return TaskDriver.with(Map.of(
                TaskStateConfig.INSTANCE_TIMEOUT, "PT30S",
                TaskStateConfig.EXPIRY_POLICY, policy));
    }

    @BeforeEach
    void workers() {
        held = driver.created("{'title': 'held', 'status': 'in_progress', 'assignee': '" + WORKER + "'}", at(1));
        pending = driver.created("{'title': 'pending', 'assignee': '" + WORKER + "'}", at(2));
        completed = driver.created("{'title': 'completed', 'status': 'completed', 'assignee': '" + WORKER + "'}", at(3));
        heldByOther = driver.created("{'title': 'held by other', 'status': 'in_progress', 'assignee': '"
                + OTHER_WORKER + "'}", at(4));
        heldByNobodyKnown = driver.created("{'title': 'held by a person', 'status': 'in_progress', 'assignee': 'ann'}", at(5));
        driver.heartbeat(WORKER, LAST_HEARD);
        driver.send(setInstanceState(WORKER, "{'status': 'busy', 'current_task_id': " + held.id() + "}"), LAST_HEARD);
        driver.heartbeat(OTHER_WORKER, LAST_HEARD);
        driver.heartbeat(OTHER_WORKER, at(30));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void silent_instances_in_progress_task_goes_back_to_pending_unassigned() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        Task released = driver.task(held.id());
        assertThat(released).isEqualTo(new Task(held.id(), held.title(), held.description(), TaskStatus.PENDING,
                held.priority(), null, held.parentTaskId(), held.subtaskIds(), held.metadata(), held.createdAt(),
                SILENT, null, released.statusReason()));
    }

    @Test
    void released_task_says_which_instance_stopped_heartbeating() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.task(held.id()).statusReason()).contains(WORKER).contains("stopped heartbeating");
    }

    @Test
    void release_publishes_the_released_task_and_keeps_the_indexes_in_step() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.lastSnapshots()).containsExactly(new TaskDriver.Snapshot(held.id(), driver.task(held.id())));
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
        assertThat(driver.idsUnder(TaskIndex.prefix(TaskIndex.Family.ASSIGNEE, WORKER)))
                .containsExactlyInAnyOrder(pending.id(), completed.id());
    }

    @Test
    void pending_and_completed_tasks_of_the_silent_instance_are_untouched() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.task(pending.id())).isEqualTo(pending);
        assertThat(driver.task(completed.id())).isEqualTo(completed);
    }

    @Test
    void in_progress_tasks_of_other_assignees_are_untouched() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.task(heldByOther.id())).isEqualTo(heldByOther);
        assertThat(driver.task(heldByNobodyKnown.id())).isEqualTo(heldByNobodyKnown);
    }

    @Test
    void silent_instance_is_marked_expired_at_the_time_it_was_noticed() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        Instance expired = driver.instance(WORKER);
        assertThat(expired.expiredAt()).isEqualTo(SILENT);
        assertThat(expired.lastHeartbeat()).isEqualTo(LAST_HEARD);
        assertThat(expired.isActive(SILENT, Duration.ofSeconds(30))).isFalse();
        assertThat(driver.instance(OTHER_WORKER).expiredAt()).isNull();
        assertThat(driver.lastInstanceSnapshots()).containsExactly(expired);
    }

    @Test
    void expired_instance_no_longer_points_at_its_released_task() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.instance(WORKER).currentTaskId()).isNull();
    }

    @Test
    void nothing_expires_before_the_timeout_has_passed() {
        // When
        driver.advanceWallClockTo(at(39));

        // Then
        assertThat(driver.instance(WORKER).expiredAt()).isNull();
        assertThat(driver.task(held.id())).isEqualTo(held);
    }

    @Test
    void a_heartbeat_just_before_expiry_releases_nothing() {
        // Given
        driver.advanceWallClockTo(at(39));
        driver.heartbeat(WORKER, at(39));

        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.task(held.id())).isEqualTo(held);
        assertThat(driver.instance(WORKER).expiredAt()).isNull();
        assertThat(driver.lastSentCommands(CommandType.RELEASE_EXPIRED)).isEmpty();
    }

    @Test
    void a_set_instance_state_just_before_expiry_keeps_the_instance_alive_too() {
        // Given
        driver.advanceWallClockTo(at(39));
        driver.send(setInstanceState(WORKER, "{'status': 'busy'}"), at(39));

        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.task(held.id())).isEqualTo(held);
        assertThat(driver.instance(WORKER).expiredAt()).isNull();
    }

    @Test
    void the_expiry_check_goes_through_the_commands_topic_in_order_with_everything_else() {
        // When
        driver.advanceWallClockTo(SILENT);

        // Then
        assertThat(driver.lastSentCommands(CommandType.EXPIRE_INSTANCES)).hasSize(1);
        assertThat(driver.lastSentCommands(CommandType.RELEASE_EXPIRED)).singleElement().satisfies(c -> {
            assertThat(c.payload().get("instance_id").asText()).isEqualTo(WORKER);
            assertThat(c.payload().get("expired_at").asLong()).isEqualTo(SILENT.toEpochMilli());
        });
    }

    @Test
    void an_expired_instance_is_expired_once() {
        // Given
        driver.advanceWallClockTo(SILENT);
        Map<Long, Task> tasks = driver.allTasks();

        // When
        driver.advanceWallClockTo(at(55));

        // Then
        assertThat(driver.instance(WORKER).expiredAt()).isEqualTo(SILENT);
        assertThat(driver.allTasks()).isEqualTo(tasks);
        assertThat(driver.lastSentCommands(CommandType.RELEASE_EXPIRED)).isEmpty();
    }

    @Test
    void replaying_the_same_release_changes_nothing() {
        // Given
        driver.advanceWallClockTo(SILENT);
        Command release = driver.lastSentCommands(CommandType.RELEASE_EXPIRED).get(0);
        driver.heartbeat(WORKER, at(45));
        driver.updated(held.id(), "{'status': 'in_progress', 'assignee': '" + WORKER + "'}", at(46));
        TaskDriver.State before = driver.state();

        // When
        driver.deliver(release, at(47));

        // Then
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.lastSnapshots()).isEmpty();
    }

    @Test
    void a_claim_made_after_expiry_is_not_released_by_an_old_release() {
        // Given
        driver.advanceWallClockTo(SILENT);
        Command release = driver.lastSentCommands(CommandType.RELEASE_EXPIRED).get(0);
        driver.heartbeat(WORKER, at(45));
        Task reclaimed = driver.updated(held.id(), "{'status': 'in_progress', 'assignee': '" + WORKER + "'}", at(46));

        // When: the same release arrives late under another id, as from a partition that lagged
        driver.deliver(release.withId("late-" + release.commandId()), at(47));

        // Then
        assertThat(driver.task(held.id())).isEqualTo(reclaimed);
    }

    @Test
    void a_heartbeat_after_expiry_brings_the_instance_back() {
        // Given
        driver.advanceWallClockTo(SILENT);

        // When
        Reply reply = driver.heartbeatWithReply(WORKER, "hb-back", at(45));

        // Then
        assertThat(driver.instance(WORKER).expiredAt()).isNull();
        assertThat(driver.instance(WORKER).lastHeartbeat()).isEqualTo(at(45));
        assertThat(Json.convert(reply.result(), Instance.class).active()).isTrue();
    }

    @Test
    void an_instance_that_came_back_and_falls_silent_again_expires_again() {
        // Given
        driver.advanceWallClockTo(SILENT);
        driver.heartbeat(WORKER, at(45));
        driver.updated(held.id(), "{'status': 'in_progress', 'assignee': '" + WORKER + "'}", at(46));

        // When
        driver.advanceWallClockTo(at(75));

        // Then
        assertThat(driver.instance(WORKER).expiredAt()).isEqualTo(at(75));
        assertThat(driver.task(held.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(driver.task(held.id()).assignee()).isNull();
    }

    @Test
    void claiming_a_released_task_clears_its_status_reason() {
        // Given
        driver.advanceWallClockTo(SILENT);

        // When
        Task claimed = driver.updated(held.id(), "{'status': 'in_progress', 'assignee': '" + OTHER_WORKER + "'}", at(45));

        // Then
        assertThat(claimed.statusReason()).isNull();
    }
}
