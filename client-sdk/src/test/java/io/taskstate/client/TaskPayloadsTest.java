package io.taskstate.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@link NewTask} and {@link TaskUpdate} put in a command's payload and expectation. */
class TaskPayloadsTest {

    @Test
    void a_new_task_with_only_a_title_leaves_the_rest_to_the_server_defaults() {
        assertThat(wire(NewTask.titled("Update API documentation").toPayload())).isEqualTo(json("{\"title\":\"Update API documentation\"}"));
    }

    @Test
    void a_new_task_carries_every_field_set_in_its_wire_form() {
        NewTask task = NewTask.titled("Implement JWT").description("tokens and refresh").status(TaskStatus.IN_PROGRESS)
                .priority(Priority.CRITICAL).assignee("agent-3").parent(12)
                .metadata(Map.of("estimate", "2h", "tags", List.of("auth", "security")));

        assertThat(wire(task.toPayload())).isEqualTo(json("{\"title\":\"Implement JWT\",\"description\":\"tokens and refresh\","
                + "\"status\":\"in_progress\",\"priority\":\"critical\",\"assignee\":\"agent-3\",\"parent_task_id\":12,"
                + "\"metadata\":{\"estimate\":\"2h\",\"tags\":[\"auth\",\"security\"]}}"));
    }

    @Test
    void an_update_changes_only_the_fields_named() {
        TaskUpdate update = TaskUpdate.of().status(TaskStatus.COMPLETED).priority(Priority.LOW);

        assertThat(wire(update.fields())).isEqualTo(json("{\"status\":\"completed\",\"priority\":\"low\"}"));
        assertThat(update.expectation()).isNull();
    }

    @Test
    void a_null_assignee_is_sent_so_the_server_clears_it() {
        assertThat(wire(TaskUpdate.of().assignee(null).fields())).isEqualTo(json("{\"assignee\":null}"));
    }

    @Test
    void any_field_can_be_set_by_its_wire_name_and_metadata_becomes_an_object() {
        TaskUpdate update = TaskUpdate.of().set("title", "renamed").metadata(Map.of("round", 2)).parent(7L);

        assertThat(wire(update.fields())).isEqualTo(json("{\"title\":\"renamed\",\"metadata\":{\"round\":2},\"parent_task_id\":7}"));
    }

    @Test
    void an_expectation_compares_wire_values() {
        TaskUpdate claim = TaskUpdate.of().status(TaskStatus.IN_PROGRESS).assignee("worker-1")
                .expect("status", TaskStatus.PENDING).expect("priority", Priority.HIGH).expect("assignee", null);

        assertThat(wire(claim.expectation())).isEqualTo(json("{\"status\":\"pending\",\"priority\":\"high\",\"assignee\":null}"));
    }

    @Test
    void payloads_handed_out_are_copies() {
        TaskUpdate update = TaskUpdate.of().title("original").expect("status", "pending");

        update.fields().put("title", "tampered");
        update.expectation().put("status", "tampered");

        assertThat(wire(update.fields())).isEqualTo(json("{\"title\":\"original\"}"));
        assertThat(wire(update.expectation())).isEqualTo(json("{\"status\":\"pending\"}"));
    }

    /** As it goes on the wire: numbers compare by value, not by the node type they were built with. */
    private static JsonNode wire(JsonNode payload) {
        return json(Json.string(payload));
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
