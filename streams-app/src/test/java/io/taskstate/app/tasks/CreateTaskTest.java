package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Creating tasks: defaults, ids, timestamps, validation. */
class CreateTaskTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void create_fills_in_the_defaults() {
        // When
        Task task = driver.created("{'title': 'Write the README'}");

        // Then
        assertThat(task.title()).isEqualTo("Write the README");
        assertThat(task.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(task.priority()).isEqualTo(Priority.MEDIUM);
        assertThat(task.metadata()).isEqualTo(Json.object());
        assertThat(task.subtaskIds()).isEmpty();
        assertThat(task.description()).isNull();
        assertThat(task.assignee()).isNull();
        assertThat(task.parentTaskId()).isNull();
        assertThat(task.completedAt()).isNull();
    }

    @Test
    void create_reply_shows_metadata_and_subtask_ids_on_the_wire() {
        // When
        Reply reply = driver.send(create("{'title': 'Write the README'}"));

        // Then
        assertThat(reply.result().get("metadata")).isEqualTo(Json.object());
        assertThat(reply.result().get("subtask_ids").isArray()).isTrue();
        assertThat(reply.result().get("subtask_ids")).isEmpty();
        assertThat(reply.result().has("parent_task_id")).isTrue();
        assertThat(reply.result().get("parent_task_id").isNull()).isTrue();
    }

    @Test
    void create_keeps_every_given_field() {
        // When
        Task task = driver.created("{'title': 'Ship', 'description': 'to prod', 'status': 'in_progress',"
                + " 'priority': 'critical', 'assignee': 'agent-7', 'metadata': {'sprint': 3, 'tags': ['a']}}");

        // Then
        assertThat(task.description()).isEqualTo("to prod");
        assertThat(task.status()).isEqualTo(TaskStatus.IN_PROGRESS);
        assertThat(task.priority()).isEqualTo(Priority.CRITICAL);
        assertThat(task.assignee()).isEqualTo("agent-7");
        assertThat(task.metadata()).isEqualTo(json("{'sprint': 3, 'tags': ['a']}"));
    }

    @Test
    void ids_are_1_2_3_with_one_partition() {
        // When
        List<Long> ids = List.of(
                driver.created("{'title': 'a'}").id(),
                driver.created("{'title': 'b'}").id(),
                driver.created("{'title': 'c'}").id());

        // Then
        assertThat(ids).containsExactly(1L, 2L, 3L);
        assertThat(driver.sequence()).isEqualTo(3L);
    }

    @Test
    void created_and_updated_at_are_the_command_record_timestamp_not_the_wall_clock() {
        // Given
        Instant recordTime = Instant.parse("2021-06-15T12:34:56.789Z");

        // When
        Reply reply = driver.send(create("{'title': 'a'}"), recordTime);

        // Then
        Task task = Json.convert(reply.result(), Task.class);
        assertThat(task.createdAt()).isEqualTo(recordTime);
        assertThat(task.updatedAt()).isEqualTo(recordTime);
        assertThat(driver.task(task.id()).createdAt()).isEqualTo(recordTime);
    }

    @Test
    void create_as_completed_sets_completed_at() {
        // Given
        Instant recordTime = Instant.parse("2025-03-02T08:00:00Z");

        // When
        Reply reply = driver.send(create("{'title': 'done already', 'status': 'completed'}"), recordTime);

        // Then
        Task task = Json.convert(reply.result(), Task.class);
        assertThat(task.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(task.completedAt()).isEqualTo(recordTime);
    }

    @Test
    void create_publishes_the_snapshot_keyed_by_id() {
        // When
        Task task = driver.created("{'title': 'a'}");

        // Then
        assertThat(driver.lastSnapshots()).containsExactly(new TaskDriver.Snapshot(task.id(), task));
        assertThat(driver.task(task.id())).isEqualTo(task);
    }

    @Test
    void create_reply_is_keyed_by_the_client_id() {
        // When
        Reply reply = driver.send(create("{'title': 'a'}"));

        // Then
        assertThat(driver.lastReplyRecords().get(0).key()).asString().isEqualTo(TaskDriver.CLIENT);
        assertThat(reply.clientId()).isEqualTo(TaskDriver.CLIENT);
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void create_without_a_title_is_invalid() {
        // When
        Reply reply = driver.send(create("{'description': 'no title'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("Title is required");
    }

    @Test
    void create_with_an_unknown_field_is_invalid() {
        // When
        Reply reply = driver.send(create("{'title': 'a', 'colour': 'red'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid field: colour");
    }

    @Test
    void create_cannot_choose_its_own_id() {
        // When
        Reply reply = driver.send(create("{'title': 'a', 'id': 99}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid field: id");
    }

    @Test
    void create_with_an_invalid_status_is_invalid() {
        // When
        Reply reply = driver.send(create("{'title': 'a', 'status': 'done'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid status. Must be one of: pending, in_progress, completed, blocked");
    }

    @Test
    void create_with_metadata_that_is_not_an_object_is_invalid() {
        // When
        Reply reply = driver.send(create("{'title': 'a', 'metadata': [1, 2]}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("metadata").contains("object");
    }

    @Test
    void refused_create_allocates_no_id() {
        // Given
        driver.created("{'title': 'a'}");
        TaskDriver.State before = driver.state();

        // When
        Reply refused = driver.send(create("{'title': ''}"));
        Task next = driver.created("{'title': 'b'}");

        // Then
        assertThat(refused.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(before.sequence()).isEqualTo(1L);
        assertThat(next.id()).isEqualTo(2L);
    }

    @Test
    void refused_create_publishes_no_snapshot() {
        // When
        ObjectNode payload = json("{'title': 'a'}");
        payload.put("priority", "urgent");
        Reply reply = driver.send(create(payload));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid priority. Must be one of: low, medium, high, critical");
        assertThat(driver.lastSnapshots()).isEmpty();
        assertThat(driver.allTasks()).isEmpty();
    }

    @Test
    void create_with_an_expectation_is_refused() {
        // Given
        Command command = create("{'title': 'a'}");
        Command withExpect = new Command(command.commandId(), command.clientId(), command.type(), null,
                command.payload(), json("{'status': 'pending'}"));

        // When
        Reply reply = driver.send(withExpect);

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("expect");
        assertThat(driver.state().tasks()).isEmpty();
    }
}
