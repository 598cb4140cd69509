package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.create;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.tasks.TaskDriver.Snapshot;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Creating a task under a parent. */
class SubtaskTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void subtask_names_its_parent() {
        // Given
        Task parent = driver.created("{'title': 'epic'}");

        // When
        Task child = driver.created("{'title': 'story', 'parent_task_id': " + parent.id() + "}");

        // Then
        assertThat(child.parentTaskId()).isEqualTo(parent.id());
    }

    @Test
    void parents_subtask_ids_gain_the_child() {
        // Given
        Task parent = driver.created("{'title': 'epic'}");
        Task first = driver.created("{'title': 'story 1', 'parent_task_id': " + parent.id() + "}");

        // When
        Task second = driver.created("{'title': 'story 2', 'parent_task_id': " + parent.id() + "}");

        // Then
        assertThat(driver.task(parent.id()).subtaskIds()).containsExactly(first.id(), second.id());
    }

    @Test
    void parent_snapshot_is_republished_with_the_new_subtask() {
        // Given
        Task parent = driver.created("{'title': 'epic'}");

        // When
        Task child = driver.created("{'title': 'story', 'parent_task_id': " + parent.id() + "}");

        // Then
        assertThat(driver.lastSnapshots()).containsExactlyInAnyOrder(
                new Snapshot(child.id(), child),
                new Snapshot(parent.id(), driver.task(parent.id())));
        assertThat(driver.task(parent.id()).subtaskIds()).containsExactly(child.id());
    }

    @Test
    void adding_a_subtask_does_not_touch_the_parents_own_fields() {
        // Given
        Task parent = driver.created("{'title': 'epic', 'assignee': 'lead'}");

        // When
        driver.created("{'title': 'story', 'parent_task_id': " + parent.id() + "}");

        // Then
        Task after = driver.task(parent.id());
        assertThat(after.updatedAt()).isEqualTo(parent.updatedAt());
        assertThat(after.title()).isEqualTo(parent.title());
        assertThat(after.assignee()).isEqualTo("lead");
    }

    @Test
    void subtask_of_a_missing_parent_is_invalid() {
        // Given
        driver.created("{'title': 'only task'}");
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(create("{'title': 'orphan', 'parent_task_id': 42}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Parent task 42 does not exist");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void parent_task_id_must_be_a_positive_integer() {
        // When
        Reply reply = driver.send(create("{'title': 'x', 'parent_task_id': 'one'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("parent_task_id");
    }

    @Test
    void grandchild_is_listed_by_its_own_parent_only() {
        // Given
        Task root = driver.created("{'title': 'root'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + root.id() + "}");

        // When
        Task grandchild = driver.created("{'title': 'grandchild', 'parent_task_id': " + child.id() + "}");

        // Then
        assertThat(driver.task(child.id()).subtaskIds()).containsExactly(grandchild.id());
        assertThat(driver.task(root.id()).subtaskIds()).containsExactly(child.id());
    }
}
