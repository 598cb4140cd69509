package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two app instances share the partitions: a key lookup on either is forwarded to the owner, and a
 * filtered query on either fans out to both and merges.
 */
@ExtendWith(KafkaBroker.class)
class TwoInstancesIT {

    @Test
    void either_instance_answers_for_every_partition() {
        try (RunningApp first = RunningApp.start(4)) {
            Map<String, String> sameApp = Map.of(
                    TaskStateConfig.TOPIC_PREFIX, first.topicPrefix(),
                    TaskStateConfig.APPLICATION_ID, first.topicPrefix().replace(".", ""));
            try (RunningApp second = RunningApp.start(4, sameApp)) {
                // Given tasks on every partition, written through the first instance
                Http a = new Http(first.baseUrl());
                Http b = new Http(second.baseUrl());
                List<Long> ids = new ArrayList<>();
                for (int n = 0; n < 12; n++) {
                    int i = n;
                    ids.add(await().atMost(Duration.ofSeconds(60)).until(
                            () -> a.post("/api/v1/tasks", "{\"title\":\"shared " + i + "\"}"), r -> r.status() == 201)
                            .body().get("id").asLong());
                }

                // When both instances hold partitions
                await("both instances own partitions").atMost(Duration.ofSeconds(60)).until(() ->
                        first.server().streamsState().isRunningOrRebalancing()
                        && second.server().streamsState().isRunningOrRebalancing()
                        && ownsSome(first) && ownsSome(second));

                // Then every lookup and the merged query agree on both
                for (Http http : List.of(a, b)) {
                    for (long id : ids) {
                        JsonNode task = await().atMost(Duration.ofSeconds(60))
                                .until(() -> http.get("/api/v1/tasks/" + id), r -> r.status() == 200).body();
                        assertThat(task.get("id").asLong()).isEqualTo(id);
                    }
                    JsonNode page = await().atMost(Duration.ofSeconds(60))
                            .until(() -> http.get("/api/v1/tasks?title_contains=shared&limit=5"), r -> r.status() == 200).body();
                    assertThat(page.get("tasks")).hasSize(5);
                    Set<Long> all = new HashSet<>();
                    String cursor = null;
                    do {
                        String c = cursor;
                        JsonNode p = await().atMost(Duration.ofSeconds(60)).until(() -> http.get(
                                "/api/v1/tasks?title_contains=shared&limit=5" + (c == null ? "" : "&cursor=" + c)),
                                r -> r.status() == 200).body();
                        p.get("tasks").forEach(t -> all.add(t.get("id").asLong()));
                        cursor = p.get("next_cursor").isNull() ? null : p.get("next_cursor").asText();
                    } while (cursor != null);
                    assertThat(all).containsExactlyInAnyOrderElementsOf(ids);
                }
            }
        }
    }

    @Test
    void a_dependency_cycle_through_tasks_the_other_instance_owns_is_refused_with_its_path() {
        try (RunningApp first = RunningApp.start(4)) {
            Map<String, String> sameApp = Map.of(
                    TaskStateConfig.TOPIC_PREFIX, first.topicPrefix(),
                    TaskStateConfig.APPLICATION_ID, first.topicPrefix().replace(".", ""));
            try (RunningApp second = RunningApp.start(4, sameApp)) {
                Http a = new Http(first.baseUrl());
                Http b = new Http(second.baseUrl());
                await("both instances own partitions").atMost(Duration.ofSeconds(60)).until(() ->
                        ownsSome(first) && ownsSome(second));
                // Given one task per partition, each depending on the one before: t3 -> t2 -> t1 -> t0
                Map<Integer, Long> byPartition = new java.util.TreeMap<>();
                while (byPartition.size() < 4) {
                    long id = await().atMost(Duration.ofSeconds(60)).until(
                            () -> a.post("/api/v1/tasks", "{\"title\":\"chain\"}"), r -> r.status() == 201).body().get("id").asLong();
                    byPartition.putIfAbsent((int) ((id - 1) % 4), id);
                }
                List<Long> t = new ArrayList<>(byPartition.values());
                for (int i = 1; i < 4; i++) {
                    String body = "{\"depends_on\": [" + t.get(i - 1) + "]}";
                    long id = t.get(i);
                    assertThat(await().atMost(Duration.ofSeconds(60)).until(() -> a.patch("/api/v1/tasks/" + id, body),
                            r -> r.status() != 503).status()).isEqualTo(200);
                }

                // When t0 -> t3 would close it, sent to the other instance
                Http.Response refused = await().atMost(Duration.ofSeconds(60)).until(
                        () -> b.patch("/api/v1/tasks/" + t.get(0), "{\"depends_on\": [" + t.get(3) + "]}"), r -> r.status() != 503);

                // Then
                assertThat(refused.status()).isEqualTo(400);
                assertThat(refused.body().path("detail").asText()).startsWith("depends_on would make a cycle: "
                        + t.get(0) + " -> " + t.get(3) + " -> " + t.get(2) + " -> " + t.get(1) + " -> " + t.get(0));
            }
        }
    }

    private static boolean ownsSome(RunningApp app) {
        return new Http(app.baseUrl()).get("/health/ready").status() == 200
                && app.server().localPartitions() > 0;
    }
}
