package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.claim;
import static io.taskstate.app.tasks.TaskDriver.complete;
import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.json;
import static io.taskstate.app.tasks.TaskDriver.renew;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.client.TaskHistoryEntry;
import io.taskstate.client.TaskHistoryEntry.Change;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every applied change of a task leaves one entry in its history: which command from which client
 * caused it, when, the assignee after it, why, and each field that changed from what to what.
 */
class HistoryTest {
    private TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void create_records_every_field_with_a_value_as_changed_from_null() {
        // When
        Command create = create("{'title': 'Write docs', 'priority': 'high', 'metadata': {'pr': 12}}");
        Task task = Json.convert(driver.send(create, at(1)).result(), Task.class);

        // Then
        List<TaskHistoryEntry> history = driver.history(task.id());
        assertThat(history).hasSize(1);
        TaskHistoryEntry entry = history.get(0);
        assertThat(entry.seq()).isEqualTo(1);
        assertThat(entry.at()).isEqualTo(at(1));
        assertThat(entry.commandId()).isEqualTo(create.commandId());
        assertThat(entry.clientId()).isEqualTo(TaskDriver.CLIENT);
        assertThat(entry.type()).isEqualTo("create_task");
        assertThat(entry.assignee()).isNull();
        assertThat(entry.reason()).isNull();
        assertThat(entry.changes()).containsOnlyKeys("id", "title", "status", "priority", "metadata", "created_at", "ready");
        assertThat(entry.changes().get("title")).isEqualTo(change(null, "\"Write docs\""));
        assertThat(entry.changes().get("priority")).isEqualTo(change(null, "\"high\""));
        assertThat(entry.changes().get("metadata")).isEqualTo(change(null, "{\"pr\": 12}"));
    }

    @Test
    void update_records_only_the_fields_it_changed() {
        // Given
        Task task = driver.created("{'title': 'Draft', 'priority': 'low'}", at(1));

        // When
        Command update = update(task.id(), "{'title': 'Final', 'priority': 'low', 'description': 'now with text'}");
        driver.send(update, at(2));

        // Then
        TaskHistoryEntry entry = driver.history(task.id()).get(1);
        assertThat(entry.seq()).isEqualTo(2);
        assertThat(entry.type()).isEqualTo("update_task");
        assertThat(entry.commandId()).isEqualTo(update.commandId());
        assertThat(entry.at()).isEqualTo(at(2));
        assertThat(entry.changes()).containsOnlyKeys("title", "description");
        assertThat(entry.changes().get("title")).isEqualTo(change("\"Draft\"", "\"Final\""));
        assertThat(entry.changes().get("description")).isEqualTo(change(null, "\"now with text\""));
    }

    @Test
    void claim_and_complete_record_status_and_assignee_with_their_commands() {
        // Given
        Task task = driver.created("{'title': 'Work'}", at(1));

        // When
        driver.claimed(task.id(), "w1", at(2));
        driver.succeeded(complete(task.id(), "{'assignee': 'w1'}"), at(3));

        // Then
        List<TaskHistoryEntry> history = driver.history(task.id());
        assertThat(history).extracting(TaskHistoryEntry::type).containsExactly("create_task", "claim_task", "complete_task");
        TaskHistoryEntry claimed = history.get(1);
        assertThat(claimed.assignee()).isEqualTo("w1");
        assertThat(claimed.changes()).containsOnlyKeys("status", "assignee");
        assertThat(claimed.changes().get("status")).isEqualTo(change("\"pending\"", "\"in_progress\""));
        assertThat(claimed.changes().get("assignee")).isEqualTo(change(null, "\"w1\""));
        TaskHistoryEntry completed = history.get(2);
        assertThat(completed.assignee()).isEqualTo("w1");
        assertThat(completed.changes()).containsOnlyKeys("status", "completed_at");
        assertThat(completed.changes().get("status")).isEqualTo(change("\"in_progress\"", "\"completed\""));
        assertThat(completed.changes().get("completed_at")).isEqualTo(change(null, "\"" + at(3) + "\""));
    }

    @Test
    void release_after_the_holder_expired_is_recorded_with_its_reason() {
        // Given: worker-1, last heard of at 10 s under a 30 s timeout, holds the task
        driver.close();
        driver = ExpiryTest.expiring("release");
        Task task = driver.created("{'title': 'Held'}", at(1));
        driver.heartbeat("worker-1", at(10));
        driver.claimed(task.id(), "worker-1", at(11));

        // When
        driver.advanceWallClockTo(at(41));

        // Then
        TaskHistoryEntry released = driver.history(task.id()).get(2);
        assertThat(released.type()).isEqualTo("release_expired");
        assertThat(released.clientId()).isEqualTo("taskstate");
        assertThat(released.assignee()).isNull();
        assertThat(released.reason()).isNotBlank().isEqualTo(driver.task(task.id()).statusReason());
        assertThat(released.changes()).containsKeys("status", "assignee", "status_reason");
        assertThat(released.changes().get("status")).isEqualTo(change("\"in_progress\"", "\"pending\""));
        assertThat(released.changes().get("assignee")).isEqualTo(change("\"worker-1\"", null));
    }

    @Test
    void lease_running_out_is_recorded_as_expire_leases_with_its_reason() {
        // Given
        Task task = driver.created("{'title': 'Leased'}", at(1));
        driver.claimed(task.id(), "w1", 30, at(10));

        // When
        driver.advanceWallClockTo(at(40));

        // Then
        TaskHistoryEntry released = driver.history(task.id()).get(2);
        assertThat(released.type()).isEqualTo("expire_leases");
        assertThat(released.reason()).contains("Lease of w1 expired");
        assertThat(released.changes()).containsKeys("status", "assignee", "lease_expires_at", "lease_millis");
        assertThat(released.changes().get("lease_expires_at")).isEqualTo(change("\"" + at(40) + "\"", null));
    }

    @Test
    void consecutive_lease_renewals_fold_into_one_entry_from_the_first_end_to_the_latest() {
        // Given
        Task task = driver.created("{'title': 'Leased'}", at(1));
        driver.claimed(task.id(), "w1", 30, at(10));

        // When
        driver.succeeded(renew(task.id(), "{'assignee': 'w1'}"), at(20));
        Command last = renew(task.id(), "{'assignee': 'w1'}");
        driver.succeeded(last, at(25));

        // Then
        List<TaskHistoryEntry> history = driver.history(task.id());
        assertThat(history).extracting(TaskHistoryEntry::type).containsExactly("create_task", "claim_task", "renew_lease");
        TaskHistoryEntry renewed = history.get(2);
        assertThat(renewed.commandId()).isEqualTo(last.commandId());
        assertThat(renewed.at()).isEqualTo(at(25));
        assertThat(renewed.changes()).containsOnlyKeys("lease_expires_at");
        assertThat(renewed.changes().get("lease_expires_at")).isEqualTo(change("\"" + at(40) + "\"", "\"" + at(55) + "\""));
    }

    @Test
    void creating_and_deleting_a_subtask_is_recorded_on_the_parent() {
        // Given
        Task parent = driver.created("{'title': 'Parent'}", at(1));

        // When
        Task child = driver.created("{'title': 'Child', 'parent_task_id': " + parent.id() + "}", at(2));
        Command delete = delete(child.id());
        driver.send(delete, at(3));

        // Then
        List<TaskHistoryEntry> history = driver.history(parent.id());
        assertThat(history).extracting(TaskHistoryEntry::type).containsExactly("create_task", "create_task", "delete_task");
        assertThat(history.get(1).changes()).containsOnlyKeys("subtask_ids");
        assertThat(history.get(1).changes().get("subtask_ids")).isEqualTo(change("[]", "[" + child.id() + "]"));
        assertThat(history.get(2).commandId()).isEqualTo(delete.commandId());
        assertThat(history.get(2).changes().get("subtask_ids")).isEqualTo(change("[" + child.id() + "]", "[]"));
    }

    @Test
    void deleting_a_task_deletes_its_history_and_its_subtasks() {
        // Given
        Task parent = driver.created("{'title': 'Parent'}", at(1));
        Task child = driver.created("{'title': 'Child', 'parent_task_id': " + parent.id() + "}", at(2));
        driver.updated(child.id(), "{'priority': 'high'}", at(3));

        // When
        driver.send(delete(parent.id()), at(4));

        // Then
        assertThat(driver.history(parent.id())).isEmpty();
        assertThat(driver.history(child.id())).isEmpty();
        assertThat(driver.historyStore().approximateNumEntries()).isZero();
    }

    @Test
    void history_keeps_only_the_newest_entries_up_to_the_limit() {
        // Given
        driver.close();
        driver = TaskDriver.with(Map.of(TaskStateConfig.HISTORY_LIMIT, "3"));
        Task task = driver.created("{'title': 'v0'}", at(1));

        // When
        for (int i = 1; i <= 4; i++) {
            driver.updated(task.id(), "{'title': 'v" + i + "'}", at(1 + i));
        }

        // Then: entries 1 (the create) and 2 are gone
        List<TaskHistoryEntry> history = driver.history(task.id());
        assertThat(history).extracting(TaskHistoryEntry::seq).containsExactly(3L, 4L, 5L);
        assertThat(history.get(2).changes().get("title")).isEqualTo(change("\"v3\"", "\"v4\""));
    }

    @Test
    void a_limit_of_zero_keeps_no_history() {
        // Given
        driver.close();
        driver = TaskDriver.with(Map.of(TaskStateConfig.HISTORY_LIMIT, "0"));

        // When
        Task task = driver.created("{'title': 'untracked'}", at(1));
        driver.updated(task.id(), "{'title': 'still untracked'}", at(2));

        // Then
        assertThat(driver.history(task.id())).isEmpty();
    }

    @Test
    void a_retried_command_id_adds_no_entry() {
        // Given
        Task task = driver.created("{'title': 'Draft'}", at(1));
        Command update = update(task.id(), "{'title': 'Final'}");
        driver.send(update, at(2));

        // When
        Reply retry = driver.send(update, at(3));

        // Then
        assertThat(retry.isOk()).isTrue();
        assertThat(driver.history(task.id())).hasSize(2);
    }

    @Test
    void a_refused_command_and_a_change_of_nothing_add_no_entry() {
        // Given
        Task task = driver.created("{'title': 'Draft'}", at(1));

        // When
        Reply refused = driver.send(claim(task.id(), json("{'assignee': ''}")), at(2));
        driver.updated(task.id(), "{'title': 'Draft'}", at(3));

        // Then
        assertThat(refused.isOk()).isFalse();
        assertThat(driver.history(task.id())).hasSize(1);
    }

    private static Change change(String fromJson, String toJson) {
        return new Change(parse(fromJson), parse(toJson));
    }

    private static JsonNode parse(String json) {
        try {
            return json == null ? NullNode.getInstance() : Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(json, e);
        }
    }
}
