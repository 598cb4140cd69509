package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Task;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A filtered {@code claim_next} steps over pending tasks by the outline the claim queue keeps of
 * each (title, parent, assignee). After a restart the queue is rebuilt from the store without
 * outlines; claims learn them as they read the tasks, and no learned outline may hide a task that
 * changed since: here, on a real broker and real stores, across a restart on the same data dir.
 */
@ExtendWith(KafkaBroker.class)
class ClaimFilterRestartIT {

    @Test
    void after_a_restart_filtered_claims_learn_outlines_and_changes_win_over_them(@TempDir Path dir) {
        String name = "r" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> same = Map.of(TaskStateConfig.DATA_DIR, dir.toString(),
                TaskStateConfig.TOPIC_PREFIX, name + ".", TaskStateConfig.APPLICATION_ID, name);
        List<Long> ids = new ArrayList<>();
        try (RunningApp first = RunningApp.start(2, same); TaskStateClient client = first.client()) {
            for (int i = 0; i < 6; i++) {
                ids.add(client.createTask(NewTask.titled("backlog item " + i)).id());
            }
        }

        try (RunningApp app = RunningApp.start(2, same); TaskStateClient client = app.client()) {
            // a filtered claim that matches nothing reads (and outlines) every pending task
            assertThat(client.claimNext("w", ClaimFilter.ANY.titleContains("urgent"))).isEmpty();

            // When one of them is renamed after its outline was learned
            client.updateTask(ids.get(3), TaskUpdate.of().title("URGENT: fix the build"));

            // Then the next filtered claim finds it, and only it
            Optional<Task> urgent = client.claimNext("w", ClaimFilter.ANY.titleContains("urgent"));
            assertThat(urgent).map(Task::id).contains(ids.get(3));
            assertThat(client.claimNext("w", ClaimFilter.ANY.titleContains("urgent"))).isEmpty();
            // and the outlines agree with the tasks
            Http.Response check = new Http(app.baseUrl()).get("/api/v1/admin/check");
            assertThat(check.body().get("problems")).isEmpty();
            assertThat(check.body().get("consistent").asBoolean()).isTrue();
            // and an unfiltered claim still takes the rest, oldest first
            assertThat(client.claimNext("w", ClaimFilter.ANY.titleContains("backlog"))).map(Task::id).contains(ids.get(0));
        }
    }
}
