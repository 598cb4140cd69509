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

    private static boolean ownsSome(RunningApp app) {
        return new Http(app.baseUrl()).get("/health/ready").status() == 200
                && app.server().localPartitions() > 0;
    }
}
