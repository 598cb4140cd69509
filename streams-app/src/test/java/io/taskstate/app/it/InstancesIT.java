package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.Heartbeats;
import io.taskstate.client.InstanceUpdate;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.InstanceStatus;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Instances end to end on a real broker: the coordination patterns of EXAMPLES.md, and expiry. */
@ExtendWith(KafkaBroker.class)
class InstancesIT {
    private static RunningApp app;
    private static TaskStateClient client;

    @BeforeAll
    static void start() {
        app = RunningApp.start(3);
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
    void work_distribution_gives_each_worker_a_different_task() {
        String tag = unique();
        for (String name : List.of("A", "B")) {
            client.createTask(NewTask.titled(tag + " Process dataset " + name).priority(Priority.HIGH));
        }
        for (String name : List.of("C", "D")) {
            client.createTask(NewTask.titled(tag + " Process dataset " + name).priority(Priority.MEDIUM));
        }
        String worker1 = tag + "-worker-1";
        String worker2 = tag + "-worker-2";

        Task first = claimFirstPendingHigh(tag, worker1);
        Task second = claimFirstPendingHigh(tag, worker2);

        assertThat(first.id()).isNotEqualTo(second.id());
        assertThat(client.getInstanceState(worker1).currentTaskId()).isEqualTo(first.id());
        assertThat(client.getInstanceState(worker1).status()).isEqualTo(InstanceStatus.BUSY);
        Set<String> active = client.listInstances(true).stream().map(Instance::instanceId).collect(Collectors.toSet());
        assertThat(active).contains(worker1, worker2);
        assertThat(client.queryTasks(TaskQuery.all().titleContains(tag).status(TaskStatus.IN_PROGRESS)).count()).isEqualTo(2);
        assertThat(client.queryTasks(TaskQuery.all().titleContains(tag).status(TaskStatus.PENDING)).count()).isEqualTo(2);
    }

    /** The seed's pattern: register, find pending high-priority work, take it, say so. */
    private static Task claimFirstPendingHigh(String tag, String worker) {
        client.heartbeat(worker);
        client.setInstanceState(worker, InstanceUpdate.of().status(InstanceStatus.ACTIVE)
                .workingDirectory("/workspace/" + worker).metadata(Map.of("capabilities", List.of("data-processing"))));
        for (Task candidate : client.queryTasks(TaskQuery.all().titleContains(tag).status(TaskStatus.PENDING)
                .priority(Priority.HIGH)).toList()) {
            try {
                Task claimed = client.updateTask(candidate.id(), TaskUpdate.of().status(TaskStatus.IN_PROGRESS)
                        .assignee(worker).expect("status", "pending"));
                client.setInstanceState(worker, InstanceUpdate.of().status(InstanceStatus.BUSY).currentTask(claimed.id()));
                return claimed;
            } catch (TaskStateException.Conflict taken) {
                // another worker was faster: try the next one
            }
        }
        throw new AssertionError("no pending high-priority task left for " + worker);
    }

    @Test
    void load_balancing_assigns_pending_work_to_idle_instances() {
        String tag = unique();
        String busy = tag + "-busy";
        String idle = tag + "-idle";
        Task held = client.createTask(NewTask.titled(tag + " held").assignee(busy).status(TaskStatus.IN_PROGRESS));
        Task waiting = client.createTask(NewTask.titled(tag + " waiting"));
        client.heartbeat(busy);
        client.heartbeat(idle);

        for (Instance instance : client.listInstances(true)) {
            if (!instance.instanceId().startsWith(tag)) {
                continue;
            }
            long assigned = client.queryTasks(TaskQuery.all().assignee(instance.instanceId()).status(TaskStatus.IN_PROGRESS)).count();
            if (assigned == 0) {
                Task pending = client.queryTasks(TaskQuery.all().titleContains(tag).status(TaskStatus.PENDING)).findFirst().orElseThrow();
                client.updateTask(pending.id(), TaskUpdate.of().assignee(instance.instanceId()).status(TaskStatus.IN_PROGRESS));
            }
        }

        assertThat(client.getTask(waiting.id()).assignee()).isEqualTo(idle);
        assertThat(client.getTask(held.id()).assignee()).isEqualTo(busy);
    }

    @Test
    void background_heartbeats_keep_an_instance_active() {
        String worker = unique() + "-heartbeating";

        try (Heartbeats heartbeats = client.startHeartbeats(worker, Duration.ofMillis(200))) {
            Instance first = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> client.getInstanceState(worker), i -> i.active());
            Instance later = await().atMost(Duration.ofSeconds(30))
                    .until(() -> client.getInstanceState(worker), i -> i.lastHeartbeat().isAfter(first.lastHeartbeat()));

            assertThat(later.status()).isEqualTo(InstanceStatus.ACTIVE);
            assertThat(heartbeats.instanceId()).isEqualTo(worker);
        }
    }

    @Test
    void dashboard_shows_each_instance_with_its_current_task_and_history() {
        String worker = unique() + "-dash";
        Task current = client.createTask(NewTask.titled("dashboard current").assignee(worker).status(TaskStatus.IN_PROGRESS));
        client.createTask(NewTask.titled("dashboard done").assignee(worker).status(TaskStatus.COMPLETED));
        client.setInstanceState(worker, InstanceUpdate.of().status(InstanceStatus.BUSY).currentTask(current.id())
                .workingDirectory("/workspace/dash"));

        Instance shown = client.listInstances(true).stream().filter(i -> i.instanceId().equals(worker)).findFirst().orElseThrow();

        assertThat(shown.lastHeartbeat()).isNotNull();
        assertThat(client.getTask(shown.currentTaskId()).title()).isEqualTo("dashboard current");
        assertThat(shown.workingDirectory()).isEqualTo("/workspace/dash");
        assertThat(client.queryTasks(TaskQuery.all().assignee(worker).status(TaskStatus.COMPLETED)).count()).isEqualTo(1);
    }

    @Test
    void orphaned_tasks_of_unknown_assignees_can_be_found_and_handed_back() {
        String tag = unique();
        Task orphan = client.createTask(NewTask.titled(tag + " orphan").assignee(tag + "-gone").status(TaskStatus.IN_PROGRESS));
        String alive = tag + "-alive";
        client.heartbeat(alive);
        Task kept = client.createTask(NewTask.titled(tag + " kept").assignee(alive).status(TaskStatus.IN_PROGRESS));

        Set<String> active = client.listInstances(true).stream().map(Instance::instanceId).collect(Collectors.toSet());
        for (Task task : client.queryTasks(TaskQuery.all().titleContains(tag)).toList()) {
            if (task.assignee() != null && !active.contains(task.assignee())) {
                client.updateTask(task.id(), TaskUpdate.of().assignee(null).status(TaskStatus.PENDING));
            }
        }

        assertThat(client.getTask(orphan.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(client.getTask(orphan.id()).assignee()).isNull();
        assertThat(client.getTask(kept.id()).assignee()).isEqualTo(alive);
    }

    @Test
    void an_unknown_instance_is_not_found_and_a_missing_current_task_is_refused() {
        String worker = unique();

        assertThatThrownBy(() -> client.getInstanceState(worker)).isInstanceOf(TaskStateException.NotFound.class)
                .hasMessage("Instance " + worker + " not found");
        assertThatThrownBy(() -> client.setInstanceState(worker, InstanceUpdate.of().currentTask(987_654L)))
                .isInstanceOf(TaskStateException.Invalid.class).hasMessage("Task 987654 does not exist");
        assertThatThrownBy(() -> client.getInstanceState(worker)).isInstanceOf(TaskStateException.NotFound.class);
    }

    @Test
    void deleting_a_task_clears_it_as_current_task_of_every_instance() {
        String worker = unique();
        Task parent = client.createTask(NewTask.titled("to be deleted"));
        Task child = client.createTask(NewTask.titled("child").parent(parent.id()));
        client.setInstanceState(worker, InstanceUpdate.of().currentTask(child.id()));

        client.deleteTask(parent.id());

        await().atMost(Duration.ofSeconds(30)).until(() -> client.getInstanceState(worker).currentTaskId() == null);
    }

    @Test
    void a_silent_workers_tasks_go_back_to_pending() {
        try (RunningApp shortTimeout = RunningApp.start(3, Map.of(TaskStateConfig.INSTANCE_TIMEOUT, "PT2S"));
             TaskStateClient sdk = shortTimeout.client()) {
            // Given a worker that took a task and then went silent
            String worker = unique();
            sdk.heartbeat(worker);
            Task task = sdk.createTask(NewTask.titled("long job"));
            sdk.updateTask(task.id(), TaskUpdate.of().status(TaskStatus.IN_PROGRESS).assignee(worker));
            sdk.setInstanceState(worker, InstanceUpdate.of().status(InstanceStatus.BUSY).currentTask(task.id()));

            // When its heartbeats stop, Then the task is handed back
            Task released = await().atMost(Duration.ofSeconds(30))
                    .until(() -> sdk.getTask(task.id()), t -> t.status() == TaskStatus.PENDING);
            assertThat(released.assignee()).isNull();
            assertThat(released.statusReason()).contains(worker).contains("stopped heartbeating");
            assertThat(sdk.listInstances(true)).extracting(Instance::instanceId).doesNotContain(worker);
            Instance silent = sdk.listInstances(false).stream().filter(i -> i.instanceId().equals(worker)).findFirst().orElseThrow();
            assertThat(silent.active()).isFalse();
            assertThat(silent.expiredAt()).isNotNull();
            assertThat(silent.currentTaskId()).isNull();
        }
    }

    private static String unique() {
        return "i-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
