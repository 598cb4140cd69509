package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.claim;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.InstanceStatus;
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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code claim_task} takes a pending task for its assignee: the task goes {@code in_progress} under
 * the assignee, and the assignee's instance learns that this is its current task. Anything but a
 * pending task is refused. The state: task 1, pending and high priority, created at 1 s.
 */
class ClaimTest {
    private static final String WORKER = "worker-1";
    private static final String OTHER_WORKER = "worker-2";

    private final TaskDriver driver = TaskDriver.withPartitions(1);
    private Task task;

    @BeforeEach
    void pendingTask() {
        task = driver.created("{'title': 'build', 'priority': 'high'}", at(1));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void claim_of_a_pending_task_puts_it_in_progress_held_by_the_assignee_at_the_command_time() {
        // When
        driver.send(claim(task.id(), "{'assignee': 'worker-1'}"), at(10));

        // Then
        assertThat(driver.task(task.id())).isEqualTo(new Task(task.id(), "build", null, TaskStatus.IN_PROGRESS,
                Priority.HIGH, WORKER, null, List.of(), Json.object(), at(1), at(10), null, null, null, null));
    }

    @Test
    void claim_is_answered_with_the_claimed_task() {
        // When
        Reply reply = driver.send(claim(task.id(), "{'assignee': 'worker-1'}"), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(Json.convert(reply.result(), Task.class)).isEqualTo(driver.task(task.id()));
    }

    @Test
    void claim_publishes_the_claimed_task_and_keeps_the_indexes_in_step() {
        // When
        Task claimed = driver.claimed(task.id(), WORKER, at(10));

        // Then
        assertThat(driver.lastSnapshots()).containsExactly(new TaskDriver.Snapshot(task.id(), claimed));
        assertThat(driver.indexKeys()).isEqualTo(driver.expectedIndexKeys());
        assertThat(driver.idsUnder(TaskIndex.prefix(TaskIndex.Family.ASSIGNEE, WORKER))).containsExactly(task.id());
    }

    @Test
    void claim_makes_the_task_the_current_task_of_the_holders_instance() {
        // Given
        driver.heartbeat(WORKER, at(5));

        // When
        driver.claimed(task.id(), WORKER, at(10));

        // Then
        assertThat(driver.lastSentCommands(CommandType.SET_CURRENT_TASK)).singleElement()
                .satisfies(c -> assertThat(c.payload().path("instance_id").asText()).isEqualTo(WORKER))
                .satisfies(c -> assertThat(c.payload().path("task_id").asLong()).isEqualTo(task.id()));
        assertThat(driver.instance(WORKER).currentTaskId()).isEqualTo(task.id());
    }

    @Test
    void claim_keeps_the_rest_of_the_holders_instance() {
        // Given
        driver.send(setInstanceState(WORKER, "{'status': 'busy', 'working_directory': '/src', 'metadata': {'model': 'm1'}}"),
                at(5));

        // When
        driver.claimed(task.id(), WORKER, at(10));

        // Then
        assertThat(driver.instance(WORKER)).isEqualTo(new Instance(WORKER, InstanceStatus.BUSY, task.id(), "/src",
                TaskDriver.json("{'model': 'm1'}"), at(10), null, null));
    }

    @Test
    void claim_by_an_assignee_without_an_instance_creates_one_that_holds_the_task() {
        // When
        driver.claimed(task.id(), WORKER, at(10));

        // Then
        assertThat(driver.instance(WORKER)).isEqualTo(
                new Instance(WORKER, InstanceStatus.ACTIVE, task.id(), null, Json.object(), at(10), null, null));
        assertThat(driver.lastInstanceSnapshots()).containsExactly(driver.instance(WORKER));
    }

    @Test
    void claim_of_a_pending_task_that_names_another_assignee_takes_it_over() {
        // Given
        Task assigned = driver.created("{'title': 'for ann', 'assignee': 'ann'}", at(2));

        // When
        Task claimed = driver.claimed(assigned.id(), WORKER, at(10));

        // Then
        assertThat(claimed.assignee()).isEqualTo(WORKER);
        assertThat(driver.idsUnder(TaskIndex.prefix(TaskIndex.Family.ASSIGNEE, "ann"))).isEmpty();
    }

    @Test
    void claim_of_an_in_progress_task_is_a_conflict_naming_the_holder_and_the_status() {
        // Given
        driver.claimed(task.id(), WORKER, at(10));

        // When
        Reply reply = driver.send(claim(task.id(), "{'assignee': 'worker-2'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("Task " + task.id()).contains("in_progress").contains("held by " + WORKER);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"completed", "blocked"})
    void claim_of_a_task_that_is_not_pending_is_a_conflict_naming_its_status(String status) {
        // Given
        Task other = driver.created("{'title': 'done or stuck', 'status': '" + status + "'}", at(2));

        // When
        Reply reply = driver.send(claim(other.id(), "{'assignee': 'worker-1'}"), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("Task " + other.id() + " is " + status)
                .contains("only a pending task can be claimed");
    }

    @Test
    void refused_claim_changes_no_task_no_index_and_no_instance() {
        // Given
        driver.claimed(task.id(), WORKER, at(10));
        TaskDriver.State before = driver.state();
        var instancesBefore = driver.allInstances();

        // When
        driver.send(claim(task.id(), "{'assignee': 'worker-2'}"), at(20));

        // Then
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.allInstances()).isEqualTo(instancesBefore);
        assertThat(driver.lastSnapshots()).isEmpty();
        assertThat(driver.lastSentCommands(CommandType.SET_CURRENT_TASK)).isEmpty();
        assertThat(driver.instance(OTHER_WORKER)).isNull();
    }

    @Test
    void claim_of_a_missing_task_is_not_found() {
        // When
        Reply reply = driver.send(claim(99, "{'assignee': 'worker-1'}"), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(reply.message()).isEqualTo("Task 99 not found");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"{}", "{'assignee': ''}", "{'assignee': '   '}", "{'assignee': null}", "{'assignee': 7}",
            "{'lease_seconds': 30}"})
    void claim_without_an_assignee_is_invalid(String payload) {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(claim(task.id(), payload), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("assignee is required: give the name of the worker (its instance id)");
        assertThat(driver.state()).isEqualTo(before);
    }

    @ParameterizedTest(name = "lease_seconds {0}")
    @ValueSource(strings = {"0", "-5", "1.5", "'30'", "604801", "true", "{}"})
    void claim_with_a_lease_that_is_not_1_second_to_7_days_is_invalid(String leaseSeconds) {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(claim(task.id(), "{'assignee': 'worker-1', 'lease_seconds': " + leaseSeconds + "}"), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("lease_seconds must be a whole number of seconds from 1 to 604800, got "
                + TaskDriver.json("{'v': " + leaseSeconds + "}").get("v"));
        assertThat(driver.state()).isEqualTo(before);
    }

    @ParameterizedTest(name = "lease_seconds {0}")
    @CsvSource({"1", "604800"})
    void claim_with_a_lease_at_either_end_of_the_allowed_range_is_accepted(long leaseSeconds) {
        // When
        Task claimed = driver.claimed(task.id(), WORKER, leaseSeconds, at(10));

        // Then
        assertThat(claimed.leaseExpiresAt()).isEqualTo(at(10 + leaseSeconds));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"too long", "control character"})
    void claim_by_an_assignee_that_cannot_name_an_instance_is_invalid(String why) {
        // Given: the holder's instance is created from the assignee, so it must be a valid instance id
        String assignee = why.equals("too long") ? "w".repeat(InstanceHandler.MAX_ID_CHARS + 1) : "worker\u0007";
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(claim(task.id(), Json.object().put("assignee", assignee)), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("assignee").contains("instance id");
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.allInstances()).isEmpty();
    }

    @Test
    void claim_by_an_assignee_of_the_longest_instance_id_is_accepted() {
        // Given
        String assignee = "w".repeat(InstanceHandler.MAX_ID_CHARS);

        // When
        Task claimed = driver.claimed(task.id(), assignee, at(10));

        // Then
        assertThat(claimed.assignee()).isEqualTo(assignee);
        assertThat(driver.instance(assignee).currentTaskId()).isEqualTo(task.id());
    }

    @Test
    void claim_with_an_unknown_field_is_invalid_and_lists_the_allowed_ones() {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(claim(task.id(), "{'assignee': 'worker-1', 'lease': 30}"), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid field: lease. Allowed: assignee, lease_seconds");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void claim_with_an_expect_that_does_not_hold_is_a_conflict() {
        // Given
        Command command = new Command("claim-1", TaskDriver.CLIENT, CommandType.CLAIM_TASK.wire(),
                task.id(), TaskDriver.json("{'assignee': 'worker-1'}"), TaskDriver.json("{'priority': 'low'}"));

        // When
        Reply reply = driver.send(command, at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("does not match expect");
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.PENDING);
    }
}
