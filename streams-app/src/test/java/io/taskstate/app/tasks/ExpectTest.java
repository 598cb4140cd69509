package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Compare-and-set: a command's {@code expect} must hold on the current task. */
class ExpectTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void update_applies_when_expect_holds() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'status': 'in_progress', 'assignee': 'ann'}",
                "{'status': 'pending'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.IN_PROGRESS);
        assertThat(driver.task(task.id()).assignee()).isEqualTo("ann");
    }

    @Test
    void update_is_a_conflict_when_expect_does_not_hold() {
        // Given
        Task task = driver.created("{'title': 'a', 'status': 'blocked'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'status': 'in_progress'}", "{'status': 'pending'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("status").contains("blocked").contains("pending");
    }

    @Test
    void conflict_changes_nothing() {
        // Given
        Task task = driver.created("{'title': 'a', 'status': 'blocked'}");
        TaskDriver.State before = driver.state();

        // When
        driver.send(update(task.id(), "{'status': 'in_progress'}", "{'status': 'pending'}"));

        // Then
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.lastSnapshots()).isEmpty();
    }

    @Test
    void of_two_claims_expecting_pending_exactly_one_wins() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        List<Reply> replies = List.of(
                driver.send(update(task.id(), "{'status': 'in_progress', 'assignee': 'ann'}", "{'status': 'pending'}")),
                driver.send(update(task.id(), "{'status': 'in_progress', 'assignee': 'bob'}", "{'status': 'pending'}")));

        // Then
        assertThat(replies).extracting(Reply::outcome).containsExactlyInAnyOrder(Outcome.OK, Outcome.CONFLICT);
        Reply winner = replies.stream().filter(Reply::isOk).findFirst().orElseThrow();
        assertThat(driver.task(task.id()).assignee())
                .isEqualTo(Json.convert(winner.result(), Task.class).assignee());
    }

    @Test
    void expect_on_a_null_field_holds_when_it_is_null() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'assignee': 'ann'}", "{'assignee': null}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void expect_on_several_fields_needs_all_of_them() {
        // Given
        Task task = driver.created("{'title': 'a', 'assignee': 'ann'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'status': 'completed'}",
                "{'status': 'pending', 'assignee': 'bob'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("assignee");
    }

    @Test
    void expect_on_the_parent_id_compares_the_number_not_its_json_type() {
        // Given
        Task parent = driver.created("{'title': 'parent'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + parent.id() + "}");

        // When
        Reply reply = driver.send(update(child.id(), "{'status': 'in_progress'}",
                "{'parent_task_id': " + parent.id() + "}"));

        // Then
        assertThat(reply.outcome()).as(reply.message()).isEqualTo(Outcome.OK);
    }

    @Test
    void expect_on_the_subtask_ids_holds_when_they_match() {
        // Given
        Task parent = driver.created("{'title': 'parent'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + parent.id() + "}");

        // When
        Reply reply = driver.send(update(parent.id(), "{'status': 'completed'}",
                "{'subtask_ids': [" + child.id() + "]}"));

        // Then
        assertThat(reply.outcome()).as(reply.message()).isEqualTo(Outcome.OK);
    }

    @Test
    void expect_on_metadata_compares_the_whole_object() {
        // Given
        Task task = driver.created("{'title': 'a', 'metadata': {'attempt': 2, 'lease': {'owner': 'ann'}}}");

        // When
        Reply holds = driver.send(update(task.id(), "{'title': 'b'}",
                "{'metadata': {'attempt': 2, 'lease': {'owner': 'ann'}}}"));
        Reply differs = driver.send(update(task.id(), "{'title': 'c'}", "{'metadata': {'attempt': 3}}"));

        // Then
        assertThat(holds.outcome()).as(holds.message()).isEqualTo(Outcome.OK);
        assertThat(differs.outcome()).isEqualTo(Outcome.CONFLICT);
    }

    @Test
    void expect_with_a_number_where_text_is_stored_is_a_conflict() {
        // Given
        Task task = driver.created("{'title': 'a', 'assignee': '7'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'title': 'b'}", "{'assignee': 7}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
    }

    @Test
    void expect_on_an_unknown_field_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'status': 'completed'}", "{'colour': 'red'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid expect field: colour");
    }

    @Test
    void delete_applies_when_expect_holds() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(delete(task.id(), "{'status': 'pending'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.task(task.id())).isNull();
    }

    @Test
    void delete_is_a_conflict_when_expect_does_not_hold_and_deletes_nothing() {
        // Given
        Task task = driver.created("{'title': 'a', 'status': 'in_progress'}");
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(delete(task.id(), "{'status': 'pending'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.lastSnapshots()).isEmpty();
    }
}
