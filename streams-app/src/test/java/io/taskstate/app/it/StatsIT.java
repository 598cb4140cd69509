package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskStats;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /api/v1/stats} on a real broker with two instances: after a random workload the
 * counts, summed over both instances' partitions, equal a recount of every task read over HTTP.
 */
@ExtendWith(KafkaBroker.class)
class StatsIT {
    private static final String[] WORKERS = {"w1", "w2", "w3"};

    @Test
    void stats_equal_a_recount_over_http_after_a_random_workload() throws Exception {
        try (RunningApp first = RunningApp.start(4)) {
            Map<String, String> sameApp = Map.of(
                    TaskStateConfig.TOPIC_PREFIX, first.topicPrefix(),
                    TaskStateConfig.APPLICATION_ID, first.topicPrefix().replace(".", ""));
            try (RunningApp second = RunningApp.start(4, sameApp); TaskStateClient client = first.client()) {
                await("both instances own partitions").atMost(Duration.ofSeconds(90)).until(() ->
                        first.server().localPartitions() > 0 && second.server().localPartitions() > 0
                        && new Http(second.baseUrl()).get("/health/ready").status() == 200);

                // Given a random workload of creates, subtasks, changes, claims, completions and deletes
                Random random = new Random(7);
                List<Long> ids = new ArrayList<>();
                for (int step = 0; step < 300; step++) {
                    String worker = WORKERS[random.nextInt(WORKERS.length)];
                    long id = ids.isEmpty() ? 0 : ids.get(random.nextInt(ids.size()));
                    try {
                        switch (ids.isEmpty() ? 0 : random.nextInt(7)) {
                            case 0, 1 -> {
                                NewTask task = NewTask.titled("stats " + step)
                                        .priority(Priority.values()[random.nextInt(4)]);
                                if (random.nextBoolean()) {
                                    task = task.assignee(worker);
                                }
                                if (!ids.isEmpty() && random.nextInt(3) == 0) {
                                    task = task.parent(id);
                                }
                                ids.add(client.createTask(task).id());
                            }
                            case 2 -> client.updateTask(id, TaskUpdate.of().status(TaskStatus.values()[random.nextInt(4)]));
                            case 3 -> client.updateTask(id, TaskUpdate.of().priority(Priority.values()[random.nextInt(4)])
                                    .assignee(random.nextBoolean() ? null : worker));
                            case 4 -> client.claim(id, worker);
                            case 5 -> client.complete(id, worker);
                            default -> client.deleteTask(id).deletedIds().forEach(ids::remove);
                        }
                    } catch (TaskStateException.Conflict | TaskStateException.NotFound | TaskStateException.Invalid refused) {
                        // claiming a task someone holds, completing one that is not ours: refused, changes nothing
                    }
                }

                // When the stats are read from either instance
                for (RunningApp app : List.of(first, second)) {
                    Http http = new Http(app.baseUrl());
                    JsonNode stats = await().atMost(Duration.ofSeconds(60))
                            .until(() -> http.get("/api/v1/stats"), r -> r.status() == 200).body();

                    // Then they equal a recount of every task
                    List<Task> all;
                    try (var stream = client.queryTasks(io.taskstate.client.TaskQuery.all().pageSize(1000))) {
                        all = stream.toList();
                    }
                    assertThat(all).hasSize(ids.size());
                    assertThat(stats.get("total").asLong()).isEqualTo(all.size());
                    assertThat(counts(stats.get("by_status"))).isEqualTo(recount(all, t -> t.status().wire(), TaskStatus.values()));
                    assertThat(counts(stats.get("by_priority"))).isEqualTo(recount(all, t -> t.priority().wire(), Priority.values()));
                    assertThat(counts(stats.get("by_assignee"))).isEqualTo(new TreeMap<>(all.stream()
                            .filter(t -> t.assignee() != null)
                            .collect(Collectors.groupingBy(Task::assignee, Collectors.counting()))));
                    Task oldest = all.stream().filter(t -> t.status() == TaskStatus.PENDING)
                            .min(Comparator.comparing(Task::createdAt).thenComparingLong(Task::id)).orElse(null);
                    assertThat(stats.get("oldest_pending").isNull() ? null : stats.get("oldest_pending").get("id").asLong())
                            .isEqualTo(oldest == null ? null : oldest.id());
                    assertThat(http.get("/api/v1/admin/check").body().get("consistent").asBoolean()).isTrue();
                }
                TaskStats sdk = client.stats();
                assertThat(sdk.total()).isEqualTo(ids.size());
            }
        }
    }

    private static Map<String, Long> counts(JsonNode object) {
        Map<String, Long> counts = new TreeMap<>();
        object.fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asLong()));
        return counts;
    }

    private static Map<String, Long> recount(List<Task> tasks, java.util.function.Function<Task, String> key, Enum<?>[] values) {
        Map<String, Long> counts = new TreeMap<>();
        for (Enum<?> v : values) {
            counts.put(v.name().toLowerCase(java.util.Locale.ROOT), 0L);
        }
        tasks.forEach(t -> counts.merge(key.apply(t), 1L, Long::sum));
        return counts;
    }
}
