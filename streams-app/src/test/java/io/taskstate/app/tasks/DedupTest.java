package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A command id seen before gets the first reply again and changes nothing. */
class DedupTest {

    @Test
    void retried_create_gets_the_first_reply_again() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Command command = create("{'title': 'once'}");
            Reply first = driver.send(command);

            // When
            Reply retry = driver.send(command);

            // Then
            assertThat(retry).isEqualTo(first);
            assertThat(Json.convert(retry.result(), Task.class).id()).isEqualTo(1L);
        }
    }

    @Test
    void retried_create_allocates_no_second_id_and_changes_nothing() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Command command = create("{'title': 'once'}");
            driver.send(command);
            TaskDriver.State before = driver.state();

            // When
            driver.send(command);

            // Then
            assertThat(driver.state()).isEqualTo(before);
            assertThat(driver.lastSnapshots()).isEmpty();
            assertThat(driver.created("{'title': 'next'}").id()).isEqualTo(2L);
        }
    }

    @Test
    void retried_update_is_not_applied_twice() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Task task = driver.created("{'title': 'a'}");
            Command claim = update(task.id(), "{'status': 'in_progress'}", "{'status': 'pending'}");
            Reply first = driver.send(claim);

            // When: had it run again, its expect would no longer hold
            Reply retry = driver.send(claim);

            // Then
            assertThat(retry.outcome()).isEqualTo(Outcome.OK);
            assertThat(retry).isEqualTo(first);
        }
    }

    @Test
    void retry_from_another_client_gets_the_reply_keyed_by_the_new_client_id() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given
            Command command = create("{'title': 'once'}");
            Reply first = driver.send(command);
            Command fromRestartedClient = new Command(command.commandId(), "client-b", command.type(),
                    command.taskId(), command.payload(), command.expect());

            // When
            Reply retry = driver.send(fromRestartedClient);

            // Then
            assertThat(driver.lastReplyRecords().get(0).key()).asString().isEqualTo("client-b");
            assertThat(retry.clientId()).isEqualTo("client-b");
            assertThat(retry.result()).isEqualTo(first.result());
            assertThat(driver.allTasks()).hasSize(1);
        }
    }

    @Test
    void retried_failed_command_gets_the_same_failure() {
        try (TaskDriver driver = TaskDriver.withPartitions(1)) {
            // Given: the update fails because task 1 does not exist yet
            Command command = update(1, "{'title': 'b'}");
            Reply first = driver.send(command);
            driver.created("{'title': 'a'}");

            // When: the retry arrives after task 1 exists
            Reply retry = driver.send(command);

            // Then
            assertThat(first.outcome()).isEqualTo(Outcome.NOT_FOUND);
            assertThat(retry).isEqualTo(first);
            assertThat(driver.task(1).title()).isEqualTo("a");
        }
    }

    @Test
    void command_id_is_forgotten_after_the_dedup_retention() {
        try (TaskDriver driver = TaskDriver.with(Map.of(TaskStateConfig.DEDUP_RETENTION, "PT1H"))) {
            // Given
            Command command = create("{'title': 'once'}");
            driver.send(command);
            driver.advanceStreamTime(Duration.ofHours(2));

            // When
            Reply late = driver.send(command);

            // Then
            assertThat(Json.convert(late.result(), Task.class).id()).isEqualTo(2L);
        }
    }

    @Test
    void command_id_is_remembered_within_the_dedup_retention() {
        try (TaskDriver driver = TaskDriver.with(Map.of(TaskStateConfig.DEDUP_RETENTION, "PT1H"))) {
            // Given
            Command command = create("{'title': 'once'}");
            driver.send(command);
            driver.advanceStreamTime(Duration.ofMinutes(50));

            // When
            Reply retry = driver.send(command);

            // Then
            assertThat(Json.convert(retry.result(), Task.class).id()).isEqualTo(1L);
            assertThat(driver.allTasks()).hasSize(1);
        }
    }
}
