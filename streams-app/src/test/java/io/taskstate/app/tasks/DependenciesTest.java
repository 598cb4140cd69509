package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.claim;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Dependencies between tasks of one partition: readiness, claims, cycles, deletion. */
class DependenciesTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        assertThat(driver.indexKeys()).as("index matches the tasks").isEqualTo(driver.expectedIndexKeys());
        driver.claimOrder();
        driver.close();
    }

    private Task dependingOn(String title, long... ids) {
        return driver.created("{'title': '" + title + "', 'depends_on': " + list(ids) + "}");
    }

    private static String list(long... ids) {
        return LongStream.of(ids).mapToObj(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    }

    private void completed(long id) {
        Reply reply = driver.send(complete(id, "{'assignee': 'w', 'force': true}"));
        assertThat(reply.isOk()).as(reply.message()).isTrue();
    }

    @Test
    void a_task_without_dependencies_is_ready_and_lists_none() {
        // When
        Task task = driver.created("{'title': 'alone'}");

        // Then
        assertThat(task.dependsOn()).isEmpty();
        assertThat(task.openDependencies()).isEmpty();
        assertThat(task.ready()).isTrue();
        assertThat(Json.MAPPER.valueToTree(task).path("ready").asBoolean()).isTrue();
        assertThat(Json.MAPPER.valueToTree(task).path("depends_on").isArray()).isTrue();
    }

    @Test
    void a_task_waiting_for_a_pending_dependency_is_not_ready_and_not_claimable() {
        // Given
        Task first = driver.created("{'title': 'first'}");

        // When
        Task second = dependingOn("second", first.id());

        // Then
        assertThat(second.dependsOn()).containsExactly(first.id());
        assertThat(second.openDependencies()).containsExactly(first.id());
        assertThat(second.ready()).isFalse();
        assertThat(driver.claimOrder()).containsExactly(first.id());
    }

    @Test
    void completing_the_last_dependency_makes_the_dependent_ready_and_claimable_in_the_same_step() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = driver.created("{'title': 'b'}");
        Task c = dependingOn("c", a.id(), b.id());
        completed(a.id());
        assertThat(driver.task(c.id()).openDependencies()).containsExactly(b.id());

        // When
        completed(b.id());

        // Then
        Task ready = driver.task(c.id());
        assertThat(ready.ready()).isTrue();
        assertThat(ready.statusReason()).isEqualTo("Dependency " + b.id() + " completed: ready");
        assertThat(driver.claimOrder()).containsExactly(c.id());
        assertThat(driver.lastSnapshots()).extracting(TaskDriver.Snapshot::id).containsExactly(b.id(), c.id());
    }

    @Test
    void a_dependency_already_completed_leaves_the_new_task_ready() {
        // Given
        Task done = driver.created("{'title': 'done', 'status': 'completed'}");

        // When
        Task next = dependingOn("next", done.id());

        // Then
        assertThat(next.ready()).isTrue();
        assertThat(next.openDependencies()).isEmpty();
    }

    @Test
    void claiming_a_task_that_waits_is_refused_naming_the_open_dependencies() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = driver.created("{'title': 'b'}");
        Task c = dependingOn("c", a.id(), b.id());
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(claim(c.id(), "{'assignee': 'w'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).isEqualTo("Task " + c.id() + " is waiting for its dependencies: " + a.id() + ", " + b.id()
                + " not completed yet; it can be claimed once they are");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void reopening_a_completed_dependency_makes_its_pending_dependent_wait_again() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());
        completed(a.id());

        // When
        driver.updated(a.id(), "{'status': 'in_progress'}");

        // Then
        Task waiting = driver.task(b.id());
        assertThat(waiting.ready()).isFalse();
        assertThat(waiting.openDependencies()).containsExactly(a.id());
        assertThat(waiting.statusReason()).isEqualTo("Dependency " + a.id() + " is in_progress again, no longer completed; waiting for "
                + a.id());
        assertThat(driver.claimOrder()).doesNotContain(b.id());
    }

    @Test
    void a_change_that_keeps_a_dependency_completed_tells_no_dependent() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());
        completed(a.id());
        Task ready = driver.task(b.id());

        // When
        driver.updated(a.id(), "{'title': 'a, renamed'}");

        // Then
        assertThat(driver.task(b.id())).isEqualTo(ready);
        assertThat(driver.lastSnapshots()).extracting(TaskDriver.Snapshot::id).containsExactly(a.id());
    }

    @Test
    void a_cycle_is_refused_with_its_path_and_changes_nothing() {
        // Given  c -> b -> a
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());
        Task c = dependingOn("c", b.id());
        TaskDriver.State before = driver.state();

        // When  a -> c would close it
        Reply reply = driver.send(update(a.id(), "{'depends_on': [" + c.id() + "]}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("depends_on would make a cycle: " + a.id() + " -> " + c.id() + " -> " + b.id()
                + " -> " + a.id());
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.dependentKeys()).hasSize(2);
    }

    @Test
    void a_task_cannot_depend_on_itself() {
        // Given
        Task a = driver.created("{'title': 'a'}");

        // When
        Reply reply = driver.send(update(a.id(), "{'depends_on': [" + a.id() + "]}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).startsWith("Task " + a.id() + " cannot depend on itself");
    }

    @Test
    void a_dependency_that_does_not_exist_is_refused() {
        // When
        Reply reply = driver.send(create("{'title': 'a', 'depends_on': [99]}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Task 99 does not exist: depends_on may only name existing tasks");
        assertThat(driver.allTasks()).isEmpty();
        assertThat(driver.sequence()).isNull();
    }

    @Test
    void malformed_depends_on_is_refused_saying_what_to_send() {
        assertThat(driver.send(create("{'title': 'a', 'depends_on': 5}")).message())
                .isEqualTo("depends_on must be an array of task ids, e.g. [12, 15], got number");
        assertThat(driver.send(create("{'title': 'a', 'depends_on': [0]}")).message())
                .startsWith("Each depends_on entry must be a positive integer task id, got 0");
        assertThat(driver.send(create("{'title': 'a', 'depends_on': ['x']}")).message())
                .startsWith("Each depends_on entry must be a positive integer task id");
        assertThat(driver.send(create("{'title': 'a', 'depends_on': " + list(LongStream.rangeClosed(1, 101).toArray()) + "}"))
                .message()).isEqualTo("depends_on names 101 tasks, at most 100: split the work into intermediate tasks");
        assertThat(driver.allTasks()).isEmpty();
    }

    @Test
    void a_dependency_named_twice_is_kept_once() {
        // Given
        Task a = driver.created("{'title': 'a'}");

        // When
        Task b = dependingOn("b", a.id(), a.id());

        // Then
        assertThat(b.dependsOn()).containsExactly(a.id());
    }

    @Test
    void deleting_a_dependency_removes_it_from_its_dependents_which_may_become_ready() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());

        // When
        driver.send(delete(a.id()));

        // Then
        Task freed = driver.task(b.id());
        assertThat(freed.dependsOn()).isEmpty();
        assertThat(freed.ready()).isTrue();
        assertThat(freed.statusReason()).isEqualTo("Dependency " + a.id() + " was deleted; removed from depends_on: ready");
        assertThat(driver.claimOrder()).containsExactly(b.id());
        assertThat(driver.dependentKeys()).isEmpty();
    }

    @Test
    void deleting_a_tree_frees_the_dependents_of_every_deleted_task() {
        // Given
        Task root = driver.created("{'title': 'root'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + root.id() + "}");
        Task waiting = dependingOn("waiting", child.id());

        // When
        driver.send(delete(root.id()));

        // Then
        assertThat(driver.task(waiting.id()).dependsOn()).isEmpty();
        assertThat(driver.task(waiting.id()).ready()).isTrue();
    }

    @Test
    void deleting_a_dependent_drops_its_reverse_edges() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());

        // When
        driver.send(delete(b.id()));

        // Then
        assertThat(driver.dependentKeys()).isEmpty();
    }

    @Test
    void replacing_depends_on_unlinks_the_old_and_links_the_new() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = driver.created("{'title': 'b', 'status': 'completed'}");
        Task c = dependingOn("c", a.id());

        // When
        Task updated = driver.updated(c.id(), "{'depends_on': [" + b.id() + "]}");

        // Then
        assertThat(updated.dependsOn()).containsExactly(b.id());
        assertThat(updated.ready()).isTrue();
        assertThat(driver.dependentKeys()).containsExactly(Dependencies.edge(b.id(), c.id()));
        completed(a.id());
        assertThat(driver.task(c.id()).statusReason()).isNull();
    }

    @Test
    void an_update_without_depends_on_keeps_the_dependencies() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());

        // When
        Task updated = driver.updated(b.id(), "{'title': 'b2', 'status': 'blocked'}");

        // Then
        assertThat(updated.dependsOn()).containsExactly(a.id());
        assertThat(updated.openDependencies()).containsExactly(a.id());
    }

    @Test
    void a_plain_update_may_still_start_a_task_that_waits() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());

        // When
        Task started = driver.updated(b.id(), "{'status': 'in_progress', 'assignee': 'w'}");

        // Then
        assertThat(started.status()).isEqualTo(TaskStatus.IN_PROGRESS);
        assertThat(started.ready()).isFalse();
    }

    @Test
    void a_parent_that_depends_on_its_subtask_is_freed_when_the_subtask_completes_by_update() {
        // Given
        Task parent = driver.created("{'title': 'parent'}");
        Task child = driver.created("{'title': 'child', 'parent_task_id': " + parent.id() + "}");
        driver.updated(parent.id(), "{'depends_on': [" + child.id() + "]}");

        // When
        driver.updated(child.id(), "{'status': 'completed'}");

        // Then
        Task freed = driver.task(parent.id());
        assertThat(freed.ready()).isTrue();
        assertThat(freed.subtaskIds()).containsExactly(child.id());
    }

    @Test
    void a_retried_create_is_applied_once() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Command create = create("{'title': 'b', 'depends_on': [" + a.id() + "]}");
        Reply first = driver.send(create);

        // When
        Reply again = driver.send(create);

        // Then
        assertThat(again).isEqualTo(first);
        assertThat(driver.allTasks()).hasSize(2);
        assertThat(driver.dependentKeys()).hasSize(1);
    }

    @Test
    void expect_can_ask_for_a_ready_task() {
        // Given
        Task a = driver.created("{'title': 'a'}");
        Task b = dependingOn("b", a.id());

        // When
        Reply reply = driver.send(TaskDriver.update(b.id(), "{'status': 'in_progress'}", "{'status': 'pending', 'ready': true}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(reply.message()).contains("ready is false, expected true");
        assertThat(List.of(driver.task(b.id()).status())).containsExactly(TaskStatus.PENDING);
    }
}
