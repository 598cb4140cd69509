package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.DeletedTasks;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The SDK end to end on a real broker: the task patterns of EXAMPLES.md, and the SDK's own promises. */
@ExtendWith(KafkaBroker.class)
class SdkTasksIT {
    private static final int PARTITIONS = 3;
    private static RunningApp app;
    private static TaskStateClient client;

    @BeforeAll
    static void start() {
        app = RunningApp.start(PARTITIONS);
        client = app.client();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void a_created_task_is_visible_to_the_next_query() {
        Task created = client.createTask(NewTask.titled("Review code changes from yesterday").priority(Priority.HIGH)
                .metadata(Map.of("category", "code-review", "estimate", "30min")));

        Task fetched = client.getTask(created.id());

        assertThat(fetched).isEqualTo(created);
        assertThat(fetched.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(fetched.metadata().path("category").asText()).isEqualTo("code-review");
    }

    @Test
    void daily_todo_list_moves_through_its_statuses() {
        String tag = unique();
        Task review = client.createTask(NewTask.titled(tag + " review").priority(Priority.HIGH));
        client.createTask(NewTask.titled(tag + " docs").priority(Priority.MEDIUM));
        client.createTask(NewTask.titled(tag + " research").priority(Priority.LOW));

        client.updateTask(review.id(), TaskUpdate.of().status(TaskStatus.IN_PROGRESS));
        Task done = client.updateTask(review.id(), TaskUpdate.of().status(TaskStatus.COMPLETED));

        assertThat(done.completedAt()).isNotNull();
        List<Task> pending = client.queryTasks(TaskQuery.all().status(TaskStatus.PENDING).titleContains(tag)).toList();
        assertThat(pending).extracting(Task::title).containsExactly(tag + " research", tag + " docs");
    }

    @Test
    void subtasks_live_on_their_parents_partition_and_are_listed_by_it() {
        Task project = client.createTask(NewTask.titled("Build User Authentication System").priority(Priority.CRITICAL));
        List<Long> subtaskIds = new ArrayList<>();
        for (String title : List.of("Design database schema", "Implement JWT", "Login endpoints")) {
            subtaskIds.add(client.createTask(NewTask.titled(title).parent(project.id()).priority(Priority.HIGH)).id());
        }

        Task fetched = client.getTask(project.id());

        assertThat(fetched.subtaskIds()).containsExactlyElementsOf(subtaskIds);
        assertThat(subtaskIds).allMatch(id -> Partitioning.partitionOfTask(id, PARTITIONS) == project.partition(PARTITIONS));
        assertThat(client.queryTasks(TaskQuery.all().parent(project.id())).map(Task::id).toList())
                .containsExactlyInAnyOrderElementsOf(subtaskIds);
    }

    @Test
    void delete_cascades_to_every_descendant() {
        Task root = client.createTask(NewTask.titled("sprint"));
        Task story = client.createTask(NewTask.titled("story").parent(root.id()));
        Task subtask = client.createTask(NewTask.titled("subtask").parent(story.id()));

        DeletedTasks deleted = client.deleteTask(root.id());

        assertThat(deleted.deletedIds()).containsExactlyInAnyOrder(root.id(), story.id(), subtask.id());
        for (long id : List.of(root.id(), story.id(), subtask.id())) {
            assertThatThrownBy(() -> client.getTask(id)).isInstanceOf(TaskStateException.NotFound.class)
                    .hasMessage("Task " + id + " not found");
        }
    }

    @Test
    void compare_and_set_has_exactly_one_winner() {
        Task task = client.createTask(NewTask.titled("contended"));
        TaskUpdate first = TaskUpdate.of().status(TaskStatus.IN_PROGRESS).assignee("worker-1").expect("status", "pending");
        TaskUpdate second = TaskUpdate.of().status(TaskStatus.IN_PROGRESS).assignee("worker-2").expect("status", "pending");

        var a = client.updateTaskAsync(task.id(), first);
        var b = client.updateTaskAsync(task.id(), second);

        List<Boolean> won = new ArrayList<>();
        for (var f : List.of(a, b)) {
            try {
                f.join();
                won.add(true);
            } catch (java.util.concurrent.CompletionException e) {
                assertThat(e.getCause()).isInstanceOf(TaskStateException.Conflict.class);
                won.add(false);
            }
        }
        assertThat(won).containsExactlyInAnyOrder(true, false);
    }

    @Test
    void a_retried_command_id_is_applied_once() {
        String tag = unique();
        String commandId = UUID.randomUUID().toString();

        Task first = client.createTaskAsync(NewTask.titled(tag), commandId).join();
        Task retry = client.createTaskAsync(NewTask.titled(tag), commandId).join();

        assertThat(retry.id()).isEqualTo(first.id());
        assertThat(client.queryTasks(TaskQuery.all().titleContains(tag)).count()).isEqualTo(1);
    }

    @Test
    void errors_are_typed_and_carry_the_reference_wording() {
        Task task = client.createTask(NewTask.titled("typed errors"));

        assertThatThrownBy(() -> client.updateTask(task.id(), TaskUpdate.of().set("colour", "red")))
                .isInstanceOf(TaskStateException.Invalid.class).hasMessage("Invalid field: colour")
                .extracting(e -> ((TaskStateException) e).commandId()).isNotNull();
        assertThatThrownBy(() -> client.updateTask(task.id(), TaskUpdate.of().set("status", "done")))
                .isInstanceOf(TaskStateException.Invalid.class)
                .hasMessage("Invalid status. Must be one of: pending, in_progress, completed, blocked");
        assertThatThrownBy(() -> client.updateTask(999_999, TaskUpdate.of().title("x")))
                .isInstanceOf(TaskStateException.NotFound.class).hasMessage("Task 999999 not found");
        assertThatThrownBy(() -> client.createTask(NewTask.titled("orphan").parent(999_999)))
                .isInstanceOf(TaskStateException.Invalid.class).hasMessage("Parent task 999999 does not exist");
    }

    @Test
    void queries_page_lazily_through_every_partition_in_newest_first_order() {
        String tag = unique();
        Set<Long> created = new HashSet<>();
        for (int i = 0; i < 25; i++) {
            created.add(client.createTask(NewTask.titled(tag + " item " + i)).id());
        }

        List<Task> all = client.queryTasks(TaskQuery.all().titleContains(tag).pageSize(4)).toList();

        assertThat(all).extracting(Task::id).doesNotHaveDuplicates();
        assertThat(all.stream().map(Task::id).collect(Collectors.toSet())).isEqualTo(created);
        assertThat(all).isSortedAccordingTo(io.taskstate.app.query.TaskQueries.NEWEST_FIRST);
        assertThat(created.stream().map(id -> Partitioning.partitionOfTask(id, PARTITIONS)).distinct().count())
                .isEqualTo(PARTITIONS);
    }

    @Test
    void root_tasks_and_keyword_searches_use_literal_case_insensitive_matching() {
        String tag = unique();
        Task root = client.createTask(NewTask.titled(tag + " Implement 100% of _auth_").description("security review"));
        client.createTask(NewTask.titled(tag + " child").parent(root.id()));
        client.createTask(NewTask.titled(tag + " Implement 1000 of xauthx"));

        assertThat(client.queryTasks(TaskQuery.all().titleContains(tag + " implement 100%")).map(Task::id).toList())
                .containsExactly(root.id());
        assertThat(client.queryTasks(TaskQuery.all().titleContains("_AUTH_")).map(Task::id).toList())
                .containsExactly(root.id());
        assertThat(client.queryTasks(TaskQuery.all().titleContains(tag).rootsOnly()).map(Task::parentTaskId).toList())
                .containsOnlyNulls().hasSize(2);
        assertThat(client.queryTasks(TaskQuery.all().titleContains(tag).descriptionContains("SECURITY")).map(Task::id).toList())
                .containsExactly(root.id());
    }

    private static String unique() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
