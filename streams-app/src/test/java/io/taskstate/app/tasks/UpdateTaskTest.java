package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.json;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.tasks.TaskDriver.Snapshot;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Updating tasks: partial changes, validation, completion time, reparenting. */
class UpdateTaskTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void update_changes_only_the_given_fields() {
        // Given
        Task before = driver.created("{'title': 'a', 'description': 'd', 'priority': 'high', 'assignee': 'ann',"
                + " 'metadata': {'k': 1}}");

        // When
        Task after = driver.updated(before.id(), "{'status': 'in_progress'}");

        // Then
        assertThat(after.status()).isEqualTo(TaskStatus.IN_PROGRESS);
        assertThat(after).usingRecursiveComparison().ignoringFields("status", "updatedAt").isEqualTo(before);
        assertThat(driver.task(before.id())).isEqualTo(after);
    }

    @Test
    void update_sets_updated_at_to_the_record_timestamp_and_keeps_created_at() {
        // Given
        Task before = driver.created("{'title': 'a'}");
        Instant recordTime = Instant.parse("2025-04-01T10:00:00.5Z");

        // When
        Reply reply = driver.send(update(before.id(), "{'title': 'b'}"), recordTime);

        // Then
        Task after = Json.convert(reply.result(), Task.class);
        assertThat(after.updatedAt()).isEqualTo(recordTime);
        assertThat(after.createdAt()).isEqualTo(before.createdAt());
    }

    @Test
    void update_publishes_the_new_snapshot() {
        // Given
        Task before = driver.created("{'title': 'a'}");

        // When
        Task after = driver.updated(before.id(), "{'priority': 'low'}");

        // Then
        assertThat(driver.lastSnapshots()).containsExactly(new Snapshot(before.id(), after));
    }

    @Test
    void assignee_can_be_cleared_with_null() {
        // Given
        Task before = driver.created("{'title': 'a', 'assignee': 'ann'}");

        // When
        Task after = driver.updated(before.id(), "{'assignee': null}");

        // Then
        assertThat(after.assignee()).isNull();
    }

    @Test
    void update_of_a_missing_task_is_not_found() {
        // When
        Reply reply = driver.send(update(7, "{'title': 'b'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(reply.message()).isEqualTo("Task 7 not found");
    }

    @Test
    void update_with_an_unknown_field_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'title': 'b', 'x': 1}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid field: x");
        assertThat(driver.task(task.id())).isEqualTo(task);
    }

    @Test
    void update_without_fields_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("No valid fields to update");
    }

    @Test
    void update_with_an_invalid_status_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'status': 'finished'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid status. Must be one of: pending, in_progress, completed, blocked");
        assertThat(driver.task(task.id())).isEqualTo(task);
    }

    @Test
    void update_with_an_invalid_priority_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'priority': 'urgent'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid priority. Must be one of: low, medium, high, critical");
        assertThat(driver.task(task.id())).isEqualTo(task);
    }

    @Test
    void update_with_a_title_of_the_wrong_json_type_names_the_field() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'title': 5}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("title").contains("string");
        assertThat(driver.task(task.id())).isEqualTo(task);
    }

    @Test
    void update_with_a_status_of_the_wrong_json_type_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'status': true}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("Invalid status.");
    }

    @Test
    void update_with_a_blank_title_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'title': '   '}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("Title is required");
        assertThat(driver.task(task.id())).isEqualTo(task);
    }

    @Test
    void update_with_a_null_title_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'title': null}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("Title is required");
    }

    @Test
    void title_of_500_characters_is_accepted() {
        // Given
        Task task = driver.created("{'title': 'a'}");
        ObjectNode payload = Json.object().put("title", "t".repeat(500));

        // When
        Reply reply = driver.send(update(task.id(), payload));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
    }

    @Test
    void title_over_500_characters_is_invalid_and_changes_nothing() {
        // Given
        Task task = driver.created("{'title': 'a'}");
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(update(task.id(), Json.object().put("title", "t".repeat(501))));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Title is too long: 501 characters, at most 500");
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.lastSnapshots()).isEmpty();
    }

    @Test
    void description_over_64_kib_is_invalid_and_changes_nothing() {
        // Given
        Task task = driver.created("{'title': 'a'}");
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(update(task.id(), Json.object().put("description", "d".repeat(64 * 1024 + 1))));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("Description is too long");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void description_of_exactly_64_kib_is_accepted() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), Json.object().put("description", "d".repeat(64 * 1024))));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.task(task.id()).description()).hasSize(64 * 1024);
    }

    @Test
    void description_is_measured_in_utf8_bytes() {
        // Given: 'é' is two bytes of UTF-8, so 32 KiB + 1 of them is over 64 KiB
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), Json.object().put("description", "é".repeat(32 * 1024 + 1))));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("Description is too long");
    }

    @Test
    void metadata_over_64_kib_is_invalid_and_changes_nothing() {
        // Given
        Task task = driver.created("{'title': 'a', 'metadata': {'keep': true}}");
        TaskDriver.State before = driver.state();
        ObjectNode payload = Json.object();
        payload.putObject("metadata").put("blob", "m".repeat(64 * 1024));

        // When
        Reply reply = driver.send(update(task.id(), payload));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("metadata is too large");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void metadata_is_replaced_not_merged() {
        // Given
        Task task = driver.created("{'title': 'a', 'metadata': {'old': 1, 'shared': 'x'}}");

        // When
        Task after = driver.updated(task.id(), "{'metadata': {'new': 2}}");

        // Then
        assertThat(after.metadata()).isEqualTo(json("{'new': 2}"));
    }

    @Test
    void completing_a_task_sets_completed_at_to_the_record_timestamp() {
        // Given
        Task task = driver.created("{'title': 'a'}");
        Instant recordTime = Instant.parse("2025-03-05T17:30:00Z");

        // When
        Reply reply = driver.send(update(task.id(), "{'status': 'completed'}"), recordTime);

        // Then
        assertThat(Json.convert(reply.result(), Task.class).completedAt()).isEqualTo(recordTime);
    }

    @Test
    void moving_away_from_completed_clears_completed_at() {
        // Given
        Task task = driver.created("{'title': 'a', 'status': 'completed'}");

        // When
        Task after = driver.updated(task.id(), "{'status': 'in_progress'}");

        // Then
        assertThat(after.completedAt()).isNull();
    }

    @Test
    void updating_a_completed_task_keeps_its_completed_at() {
        // Given
        Task task = driver.created("{'title': 'a', 'status': 'completed'}");

        // When
        Task after = driver.updated(task.id(), "{'status': 'completed', 'description': 'notes'}");

        // Then
        assertThat(after.completedAt()).isEqualTo(task.completedAt());
    }

    @Test
    void moving_a_task_under_its_own_descendant_is_refused() {
        // Given
        Task root = driver.created("{'title': 'root'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + root.id() + "}");
        Task grandchild = driver.created("{'title': 'grandchild', 'parent_task_id': " + child.id() + "}");
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(update(root.id(), "{'parent_task_id': " + grandchild.id() + "}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("cycle");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void a_task_cannot_be_its_own_parent() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'parent_task_id': " + task.id() + "}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Task " + task.id() + " cannot be its own parent");
        assertThat(driver.task(task.id()).parentTaskId()).isNull();
    }

    @Test
    void moving_under_a_missing_parent_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(task.id(), "{'parent_task_id': 99}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Parent task 99 does not exist");
    }

    @Test
    void reparenting_moves_the_id_between_the_parents_subtask_ids() {
        // Given
        Task oldParent = driver.created("{'title': 'old'}");
        Task newParent = driver.created("{'title': 'new'}");
        Task sibling = driver.created("{'title': 'stays', 'parent_task_id': " + oldParent.id() + "}");
        Task moved = driver.created("{'title': 'moves', 'parent_task_id': " + oldParent.id() + "}");

        // When
        Task after = driver.updated(moved.id(), "{'parent_task_id': " + newParent.id() + "}");

        // Then
        assertThat(after.parentTaskId()).isEqualTo(newParent.id());
        assertThat(driver.task(oldParent.id()).subtaskIds()).containsExactly(sibling.id());
        assertThat(driver.task(newParent.id()).subtaskIds()).containsExactly(moved.id());
    }

    @Test
    void reparenting_republishes_both_parents() {
        // Given
        Task oldParent = driver.created("{'title': 'old'}");
        Task newParent = driver.created("{'title': 'new'}");
        Task moved = driver.created("{'title': 'moves', 'parent_task_id': " + oldParent.id() + "}");

        // When
        Task after = driver.updated(moved.id(), "{'parent_task_id': " + newParent.id() + "}");

        // Then
        assertThat(driver.lastSnapshots()).containsExactlyInAnyOrder(
                new Snapshot(moved.id(), after),
                new Snapshot(oldParent.id(), driver.task(oldParent.id())),
                new Snapshot(newParent.id(), driver.task(newParent.id())));
    }

    @Test
    void a_subtask_can_become_a_root_task() {
        // Given
        Task parent = driver.created("{'title': 'parent'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + parent.id() + "}");

        // When
        Task after = driver.updated(child.id(), "{'parent_task_id': null}");

        // Then
        assertThat(after.parentTaskId()).isNull();
        assertThat(driver.task(parent.id()).subtaskIds()).isEmpty();
    }

    @Test
    void a_task_keeps_its_subtasks_when_it_moves() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = driver.created("{'title': 'b'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + a.id() + "}");

        // When
        Task after = driver.updated(a.id(), "{'parent_task_id': " + b.id() + "}");

        // Then
        assertThat(after.subtaskIds()).containsExactly(child.id());
        assertThat(driver.task(b.id()).subtaskIds()).containsExactly(a.id());
    }

    @Test
    void a_refused_update_does_not_change_updated_at() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        driver.send(update(task.id(), "{'priority': 'none'}"));

        // Then
        assertThat(driver.task(task.id()).updatedAt()).isEqualTo(task.updatedAt());
    }

    @Test
    void update_can_change_several_fields_at_once() {
        // Given
        Task task = driver.created("{'title': 'a'}");

        // When
        Task after = driver.updated(task.id(), "{'priority': 'critical', 'title': 'A'}");

        // Then
        assertThat(after.priority()).isEqualTo(Priority.CRITICAL);
        assertThat(after.title()).isEqualTo("A");
    }
}
