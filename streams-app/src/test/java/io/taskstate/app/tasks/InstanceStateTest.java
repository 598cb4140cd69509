package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.json;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.InstanceStatus;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code set_instance_state}: a partial update of an instance that also counts as its heartbeat. */
class InstanceStateTest {
    private static final String WORKER = "worker-1";

    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void set_instance_state_creates_the_instance_if_needed() {
        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'status': 'idle'}"), at(10));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.instance(WORKER)).isEqualTo(
                new Instance(WORKER, InstanceStatus.IDLE, null, null, Json.object(), at(10), null, null));
    }

    @Test
    void set_instance_state_replies_with_the_instance_as_it_now_is() {
        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'status': 'busy', 'working_directory': '/src'}"), at(10));

        // Then
        assertThat(Json.convert(reply.result(), Instance.class)).isEqualTo(
                new Instance(WORKER, InstanceStatus.BUSY, null, "/src", Json.object(), at(10), null, true));
    }

    @Test
    void set_instance_state_changes_only_the_fields_it_names() {
        // Given
        Task task = driver.created("{'title': 'a task'}");
        driver.send(setInstanceState(WORKER, "{'status': 'busy', 'current_task_id': " + task.id()
                + ", 'working_directory': '/src', 'metadata': {'model': 'm1'}}"), at(10));

        // When
        driver.send(setInstanceState(WORKER, "{'working_directory': '/tmp'}"), at(20));

        // Then
        assertThat(driver.instance(WORKER)).isEqualTo(new Instance(WORKER, InstanceStatus.BUSY, task.id(), "/tmp",
                json("{'model': 'm1'}"), at(20), null, null));
    }

    @Test
    void metadata_is_replaced_as_a_whole() {
        // Given
        driver.send(setInstanceState(WORKER, "{'metadata': {'model': 'm1', 'tier': 'gold'}}"), at(10));

        // When
        driver.send(setInstanceState(WORKER, "{'metadata': {'model': 'm2'}}"), at(20));

        // Then
        assertThat(driver.instance(WORKER).metadata()).isEqualTo(json("{'model': 'm2'}"));
    }

    @Test
    void set_instance_state_counts_as_a_heartbeat() {
        // Given
        driver.heartbeat(WORKER, at(10));

        // When
        driver.send(setInstanceState(WORKER, "{'status': 'busy'}"), at(40));

        // Then
        assertThat(driver.instance(WORKER).lastHeartbeat()).isEqualTo(at(40));
    }

    @Test
    void set_instance_state_older_than_the_last_heartbeat_does_not_move_it_back() {
        // Given
        driver.heartbeat(WORKER, at(40));

        // When
        driver.send(setInstanceState(WORKER, "{'status': 'busy'}"), at(10));

        // Then
        assertThat(driver.instance(WORKER).lastHeartbeat()).isEqualTo(at(40));
        assertThat(driver.instance(WORKER).status()).isEqualTo(InstanceStatus.BUSY);
    }

    @Test
    void set_instance_state_publishes_the_instance_snapshot() {
        // When
        driver.send(setInstanceState(WORKER, "{'status': 'busy'}"), at(10));

        // Then
        assertThat(driver.lastInstanceSnapshots()).containsExactly(driver.instance(WORKER));
    }

    @Test
    void current_task_id_of_an_existing_task_is_set() {
        // Given
        Task task = driver.created("{'title': 'a task'}");

        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'current_task_id': " + task.id() + "}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.instance(WORKER).currentTaskId()).isEqualTo(task.id());
    }

    @Test
    void current_task_id_null_clears_it() {
        // Given
        Task task = driver.created("{'title': 'a task'}");
        driver.send(setInstanceState(WORKER, "{'status': 'busy', 'current_task_id': " + task.id() + "}"));

        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'current_task_id': null}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.instance(WORKER).currentTaskId()).isNull();
        assertThat(driver.instance(WORKER).status()).isEqualTo(InstanceStatus.BUSY);
    }

    @Test
    void current_task_id_of_a_task_that_does_not_exist_is_invalid_and_changes_nothing() {
        // Given
        driver.send(setInstanceState(WORKER, "{'status': 'idle'}"), at(10));
        Map<String, Instance> before = driver.allInstances();

        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'status': 'busy', 'current_task_id': 404}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Task 404 does not exist");
        assertThat(driver.allInstances()).isEqualTo(before);
        assertThat(driver.lastInstanceSnapshots()).isEmpty();
    }

    @Test
    void current_task_id_of_a_deleted_task_is_invalid() {
        // Given
        Task task = driver.created("{'title': 'a task'}");
        driver.send(TaskDriver.delete(task.id()));

        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'current_task_id': " + task.id() + "}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Task " + task.id() + " does not exist");
        assertThat(driver.instance(WORKER)).isNull();
    }

    @Test
    void refused_set_instance_state_does_not_create_the_instance() {
        // When
        driver.send(setInstanceState(WORKER, "{'current_task_id': 404}"));

        // Then
        assertThat(driver.instance(WORKER)).isNull();
        assertThat(driver.lastInstanceSnapshots()).isEmpty();
    }

    @Test
    void invalid_status_is_refused_with_the_valid_ones() {
        // Given
        driver.send(setInstanceState(WORKER, "{'status': 'idle'}"), at(10));
        Map<String, Instance> before = driver.allInstances();

        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'status': 'sleeping'}"), at(20));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid status. Must be one of: active, idle, busy");
        assertThat(driver.allInstances()).isEqualTo(before);
    }

    @Test
    void unknown_field_is_refused_by_name() {
        // When
        Reply reply = driver.send(setInstanceState(WORKER, "{'status': 'idle', 'mood': 'happy'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).isEqualTo("Invalid field: mood");
        assertThat(driver.instance(WORKER)).isNull();
    }

    @Test
    void missing_instance_id_is_refused() {
        // Given
        ObjectNode payload = json("{'state': {'status': 'idle'}}");

        // When
        Reply reply = driver.send(Command.of(TaskDriver.CLIENT, CommandType.SET_INSTANCE_STATE, null, payload, null));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("instance_id");
        assertThat(driver.allInstances()).isEmpty();
    }

    @Test
    void same_command_id_twice_gets_the_same_reply_and_is_applied_once() {
        // Given
        Command busy = setInstanceState(WORKER, "{'status': 'busy'}");
        Reply first = driver.send(busy, at(10));
        driver.send(setInstanceState(WORKER, "{'status': 'idle'}"), at(20));

        // When
        Reply retry = driver.send(busy, at(30));

        // Then
        assertThat(retry).isEqualTo(first);
        assertThat(driver.instance(WORKER).status()).isEqualTo(InstanceStatus.IDLE);
        assertThat(driver.instance(WORKER).lastHeartbeat()).isEqualTo(at(20));
        assertThat(driver.lastInstanceSnapshots()).isEmpty();
    }

    @Test
    void same_refused_command_id_twice_gets_the_same_refusal() {
        // Given
        Command pointsNowhere = setInstanceState(WORKER, "{'current_task_id': 1}");
        Reply first = driver.send(pointsNowhere);
        driver.created("{'title': 'now task 1 exists'}");

        // When
        Reply retry = driver.send(pointsNowhere);

        // Then
        assertThat(retry).isEqualTo(first);
        assertThat(retry.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(driver.instance(WORKER)).isNull();
    }
}
