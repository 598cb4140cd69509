package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.setInstanceState;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Instance;
import io.taskstate.protocol.InstanceStatus;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Heartbeats create an instance and keep it alive; the time of a heartbeat is its record's timestamp. */
class HeartbeatTest {
    private static final String WORKER = "worker-1";

    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void first_heartbeat_creates_the_instance_active_with_empty_metadata() {
        // When
        driver.heartbeat(WORKER, at(10));

        // Then
        assertThat(driver.instance(WORKER)).isEqualTo(
                new Instance(WORKER, InstanceStatus.ACTIVE, null, null, Json.object(), at(10), null, null));
    }

    @Test
    void heartbeat_that_names_a_command_id_is_answered_with_the_instance() {
        // When
        Reply reply = driver.heartbeatWithReply(WORKER, "hb-1", at(10));

        // Then
        assertThat(reply.commandId()).isEqualTo("hb-1");
        assertThat(reply.clientId()).isEqualTo(TaskDriver.CLIENT);
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.lastReplyRecords().get(0).key()).asString().isEqualTo(TaskDriver.CLIENT);
        Instance shown = Json.convert(reply.result(), Instance.class);
        assertThat(shown.instanceId()).isEqualTo(WORKER);
        assertThat(shown.status()).isEqualTo(InstanceStatus.ACTIVE);
        assertThat(shown.lastHeartbeat()).isEqualTo(at(10));
        assertThat(shown.active()).isTrue();
    }

    @Test
    void fire_and_forget_heartbeat_gets_no_reply() {
        // When
        driver.heartbeat(WORKER, at(10));

        // Then
        assertThat(driver.lastReplyRecords()).isEmpty();
        assertThat(driver.instance(WORKER)).isNotNull();
    }

    @Test
    void later_heartbeat_moves_last_heartbeat_and_keeps_everything_else() {
        // Given
        driver.heartbeat(WORKER, at(10));
        driver.send(setInstanceState(WORKER,
                "{'status': 'busy', 'working_directory': '/src/app', 'metadata': {'model': 'm1'}}"), at(20));

        // When
        driver.heartbeat(WORKER, at(30));

        // Then
        assertThat(driver.instance(WORKER)).isEqualTo(new Instance(WORKER, InstanceStatus.BUSY, null, "/src/app",
                TaskDriver.json("{'model': 'm1'}"), at(30), null, null));
    }

    @Test
    void older_heartbeat_does_not_move_last_heartbeat_back() {
        // Given
        driver.heartbeat(WORKER, at(30));

        // When
        driver.heartbeat(WORKER, at(20));

        // Then
        assertThat(driver.instance(WORKER).lastHeartbeat()).isEqualTo(at(30));
    }

    @Test
    void heartbeat_publishes_the_instance_snapshot() {
        // When
        driver.heartbeat(WORKER, at(10));

        // Then
        assertThat(driver.lastInstanceSnapshots()).containsExactly(driver.instance(WORKER));
    }

    @Test
    void snapshot_does_not_store_active_which_is_computed_when_read() {
        // When
        driver.heartbeatWithReply(WORKER, "hb-1", at(10));

        // Then
        assertThat(driver.lastInstanceSnapshots()).singleElement().satisfies(i -> assertThat(i.active()).isNull());
        assertThat(driver.instance(WORKER).active()).isNull();
    }

    @Test
    void heartbeats_of_different_instances_keep_them_apart() {
        // Given
        driver.heartbeat("worker-1", at(10));

        // When
        driver.heartbeat("worker-2", at(20));

        // Then
        assertThat(driver.allInstances()).containsOnlyKeys("worker-1", "worker-2");
        assertThat(driver.instance("worker-1").lastHeartbeat()).isEqualTo(at(10));
        assertThat(driver.instance("worker-2").lastHeartbeat()).isEqualTo(at(20));
    }
}
