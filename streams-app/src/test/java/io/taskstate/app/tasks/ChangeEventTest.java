package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.claim;
import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/** Every applied change of a task or instance writes exactly one event to the events topic; nothing else writes one. */
class ChangeEventTest {

    @Test
    void create_writes_one_created_event_with_its_cause_and_the_task() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // When
            Reply reply = driver.send(create("{'title': 'a'}"), TaskDriver.at(5));

            // Then
            List<JsonNode> events = events(driver);
            assertThat(events).hasSize(1);
            JsonNode event = events.get(0);
            assertThat(event.path("type").asText()).isEqualTo("task");
            assertThat(event.path("change").asText()).isEqualTo("created");
            assertThat(event.path("cause").asText()).isEqualTo("create_task");
            assertThat(event.path("client_id").asText()).isEqualTo(TaskDriver.CLIENT);
            assertThat(Instant.parse(event.path("at").asText())).isEqualTo(TaskDriver.at(5));
            assertThat(event.get("task")).isEqualTo(reply.result());
            assertThat(key(driver.lastEvents().get(0))).isEqualTo(Long.toString(reply.result().path("id").asLong()));
        }
    }

    @Test
    void update_and_claim_each_write_one_updated_event_named_by_their_command() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Task task = driver.created("{'title': 'a'}");

            // When
            driver.updated(task.id(), "{'priority': 'high'}");
            List<JsonNode> afterUpdate = events(driver);
            Task claimed = driver.claimed(task.id(), "worker-1", TaskDriver.at(100));
            List<JsonNode> afterClaim = events(driver, "task");
            List<JsonNode> instanceAfterClaim = events(driver, "instance");

            // Then
            assertThat(afterUpdate).extracting(e -> e.path("change").asText() + "/" + e.path("cause").asText())
                    .containsExactly("updated/update_task");
            assertThat(afterClaim).extracting(e -> e.path("change").asText() + "/" + e.path("cause").asText())
                    .containsExactly("updated/claim_task");
            assertThat(Json.convert(afterClaim.get(0).get("task"), Task.class)).isEqualTo(claimed);
            // the claim also records the task as the worker's current one: a change of the instance, with its own event
            assertThat(instanceAfterClaim).extracting(e -> e.path("change").asText() + "/" + e.path("cause").asText())
                    .containsExactly("created/set_current_task");
        }
    }

    @Test
    void a_subtask_writes_one_event_for_itself_and_one_for_its_parent() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Task parent = driver.created("{'title': 'parent'}");

            // When
            Task child = driver.created("{'title': 'child', 'parent_task_id': " + parent.id() + "}");

            // Then: as many events as snapshots, for the same tasks in the same order
            assertThat(driver.lastEvents()).extracting(ChangeEventTest::key)
                    .containsExactly(Long.toString(child.id()), Long.toString(parent.id()));
            assertThat(events(driver)).extracting(e -> e.path("change").asText()).containsExactly("created", "updated");
            assertThat(events(driver).get(1).path("task").path("subtask_ids").get(0).asLong()).isEqualTo(child.id());
        }
    }

    @Test
    void a_cascading_delete_writes_a_deleted_event_with_the_last_snapshot_of_each_task() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Task parent = driver.created("{'title': 'parent'}");
            Task child = driver.created("{'title': 'child', 'parent_task_id': " + parent.id() + "}");

            // When
            driver.send(delete(parent.id()));

            // Then
            List<JsonNode> events = events(driver);
            assertThat(events).extracting(e -> e.path("change").asText() + "/" + e.path("cause").asText())
                    .containsExactly("deleted/delete_task", "deleted/delete_task");
            assertThat(events).extracting(e -> e.path("task").path("id").asLong()).containsExactlyInAnyOrder(parent.id(), child.id());
            assertThat(events).filteredOn(e -> e.path("task").path("id").asLong() == child.id())
                    .extracting(e -> e.path("task").path("title").asText()).containsExactly("child");
        }
    }

    @Test
    void a_refused_command_writes_no_event() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Task task = driver.created("{'title': 'a'}");

            // When
            Reply conflict = driver.send(update(task.id(), "{'status': 'completed'}", "{'status': 'in_progress'}"));
            List<JsonNode> afterConflict = events(driver);
            Reply missing = driver.send(update(999, "{'title': 'x'}"));
            List<JsonNode> afterMissing = events(driver);

            // Then
            assertThat(conflict.isOk()).isFalse();
            assertThat(missing.isOk()).isFalse();
            assertThat(afterConflict).isEmpty();
            assertThat(afterMissing).isEmpty();
        }
    }

    @Test
    void a_retried_command_id_writes_no_second_event() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Task task = driver.created("{'title': 'a'}");
            Command claim = claim(task.id(), "{'assignee': 'worker-1'}");
            driver.send(claim);
            assertThat(events(driver, "task")).hasSize(1);

            // When
            driver.send(claim);

            // Then
            assertThat(events(driver)).isEmpty();
        }
    }

    @Test
    void heartbeats_and_instance_state_write_instance_events() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // When
            driver.heartbeat("agent-1", TaskDriver.at(1));
            List<JsonNode> first = events(driver);
            driver.heartbeat("agent-1", TaskDriver.at(2));
            List<JsonNode> second = events(driver);
            driver.send(setInstanceState("agent-1", "{'status': 'busy'}"), TaskDriver.at(3));
            List<JsonNode> state = events(driver);

            // Then
            assertThat(first).extracting(e -> e.path("type").asText() + "/" + e.path("change").asText() + "/" + e.path("cause").asText())
                    .containsExactly("instance/created/heartbeat");
            assertThat(second).extracting(e -> e.path("change").asText()).containsExactly("updated");
            assertThat(state).extracting(e -> e.path("change").asText() + "/" + e.path("cause").asText())
                    .containsExactly("updated/set_instance_state");
            JsonNode instance = state.get(0).get("instance");
            assertThat(instance.path("instance_id").asText()).isEqualTo("agent-1");
            assertThat(instance.path("status").asText()).isEqualTo("busy");
            assertThat(instance.path("active").asBoolean()).isTrue();
            assertThat(key(driver.lastEvents().get(0))).isEqualTo("agent-1");
        }
    }

    private static List<JsonNode> events(TaskDriver driver) {
        return driver.lastEvents().stream().map(r -> Json.read(r.value(), JsonNode.class)).toList();
    }

    private static List<JsonNode> events(TaskDriver driver, String type) {
        return events(driver).stream().filter(e -> e.path("type").asText().equals(type)).toList();
    }

    private static String key(TestRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8);
    }
}
