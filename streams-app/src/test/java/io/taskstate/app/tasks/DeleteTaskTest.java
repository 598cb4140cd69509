package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.delete;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.tasks.TaskDriver.Snapshot;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deleting a task removes its whole subtree. */
class DeleteTaskTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    // root ─┬─ child ─── grandchild
    //       └─ sibling
    // other (unrelated)
    private Task root;
    private Task child;
    private Task grandchild;
    private Task sibling;
    private Task other;

    @BeforeEach
    void tree() {
        root = driver.created("{'title': 'root'}");
        child = driver.created("{'title': 'child', 'parent_task_id': " + root.id() + "}");
        grandchild = driver.created("{'title': 'grandchild', 'parent_task_id': " + child.id() + ", 'assignee': 'gus'}");
        sibling = driver.created("{'title': 'sibling', 'parent_task_id': " + root.id() + "}");
        other = driver.created("{'title': 'other'}");
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void delete_cascades_to_every_descendant() {
        // When
        driver.send(delete(root.id()));

        // Then
        assertThat(driver.allTasks()).containsOnlyKeys(other.id());
    }

    @Test
    void delete_reply_reports_success_the_deleted_task_and_every_removed_id() {
        // Given
        Task current = driver.task(root.id());

        // When
        Reply reply = driver.send(delete(root.id()));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(reply.result().get("success").asBoolean()).isTrue();
        assertThat(Json.convert(reply.result().get("deleted_task"), Task.class)).isEqualTo(current);
        assertThat(reply.result().get("deleted_ids")).extracting(n -> n.asLong())
                .containsExactlyInAnyOrder(root.id(), child.id(), grandchild.id(), sibling.id());
    }

    @Test
    void delete_publishes_a_tombstone_for_every_removed_id() {
        // When
        driver.send(delete(root.id()));

        // Then
        assertThat(driver.lastSnapshots()).containsExactlyInAnyOrder(
                new Snapshot(root.id(), null),
                new Snapshot(child.id(), null),
                new Snapshot(grandchild.id(), null),
                new Snapshot(sibling.id(), null));
    }

    @Test
    void deleting_a_subtask_removes_it_from_its_parents_subtask_ids() {
        // When
        driver.send(delete(child.id()));

        // Then
        assertThat(driver.task(root.id()).subtaskIds()).containsExactly(sibling.id());
        assertThat(driver.task(grandchild.id())).isNull();
    }

    @Test
    void deleting_a_subtask_republishes_its_parent() {
        // When
        driver.send(delete(sibling.id()));

        // Then
        assertThat(driver.lastSnapshots()).containsExactlyInAnyOrder(
                new Snapshot(sibling.id(), null),
                new Snapshot(root.id(), driver.task(root.id())));
    }

    @Test
    void indexes_hold_no_key_of_a_deleted_task() {
        // When
        driver.send(delete(root.id()));

        // Then
        assertThat(driver.indexKeys()).extracting((Bytes k) -> TaskIndex.idOf(k)).containsOnly(other.id());
        assertThat(driver.indexKeys()).isEqualTo(TaskIndex.keysOf(other));
    }

    @Test
    void delete_of_a_missing_task_is_not_found() {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(delete(404));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(reply.message()).isEqualTo("Task 404 not found");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void a_deleted_task_is_not_found_afterwards() {
        // Given
        driver.send(delete(other.id()));

        // When
        Reply reply = driver.send(delete(other.id()));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.NOT_FOUND);
    }

    @Test
    void ids_of_deleted_tasks_are_never_reused() {
        // Given
        driver.send(delete(other.id()));

        // When
        Task next = driver.created("{'title': 'next'}");

        // Then
        assertThat(next.id()).isEqualTo(other.id() + 1);
    }
}
