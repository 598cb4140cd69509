package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Task;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** No instance keeps pointing at a deleted task: deleting it, or an ancestor, clears their current task. */
class DeletedCurrentTaskTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    // root ─── child        other (unrelated)
    private Task root;
    private Task child;
    private Task other;

    @BeforeEach
    void workers() {
        root = driver.created("{'title': 'root'}");
        child = driver.created("{'title': 'child', 'parent_task_id': " + root.id() + "}");
        other = driver.created("{'title': 'other'}");
        driver.send(setInstanceState("on-root", "{'status': 'busy', 'current_task_id': " + root.id() + "}"), at(10));
        driver.send(setInstanceState("on-child", "{'status': 'busy', 'current_task_id': " + child.id() + "}"), at(11));
        driver.send(setInstanceState("on-other", "{'status': 'busy', 'current_task_id': " + other.id() + "}"), at(12));
        driver.send(setInstanceState("on-nothing", "{'status': 'idle'}"), at(13));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void deleting_a_task_clears_current_task_id_of_the_instances_pointing_at_it() {
        // When
        driver.send(delete(other.id()), at(20));

        // Then
        assertThat(driver.instance("on-other").currentTaskId()).isNull();
    }

    @Test
    void deleting_a_task_clears_current_task_id_of_instances_on_its_deleted_subtasks() {
        // When
        driver.send(delete(root.id()), at(20));

        // Then
        assertThat(driver.instance("on-root").currentTaskId()).isNull();
        assertThat(driver.instance("on-child").currentTaskId()).isNull();
    }

    @Test
    void instances_on_other_tasks_are_untouched() {
        // Given
        Instance onOther = driver.instance("on-other");
        Instance onNothing = driver.instance("on-nothing");

        // When
        driver.send(delete(root.id()), at(20));

        // Then
        assertThat(driver.instance("on-other")).isEqualTo(onOther);
        assertThat(driver.instance("on-nothing")).isEqualTo(onNothing);
    }

    @Test
    void clearing_changes_nothing_else_and_is_not_a_heartbeat() {
        // Given
        Instance before = driver.instance("on-child");

        // When
        driver.send(delete(child.id()), at(20));

        // Then
        assertThat(driver.instance("on-child")).isEqualTo(new Instance(before.instanceId(), before.status(), null,
                before.workingDirectory(), before.metadata(), before.lastHeartbeat(), null, null));
    }

    @Test
    void clearing_publishes_a_snapshot_of_each_cleared_instance_only() {
        // When
        driver.send(delete(root.id()), at(20));

        // Then
        assertThat(driver.lastInstanceSnapshots()).containsExactlyInAnyOrder(
                driver.instance("on-root"), driver.instance("on-child"));
    }

    @Test
    void delete_tells_every_partition_which_ids_are_gone() {
        // When
        driver.send(delete(root.id()), at(20));

        // Then
        assertThat(driver.lastSentCommands(CommandType.CLEAR_CURRENT_TASK)).singleElement()
                .satisfies(c -> assertThat(c.payload().get("task_ids")).extracting(n -> n.asLong())
                        .containsExactlyInAnyOrder(root.id(), child.id()));
    }
}
