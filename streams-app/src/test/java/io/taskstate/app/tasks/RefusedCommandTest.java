package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.create;
import static io.taskstate.app.tasks.TaskDriver.delete;
import static io.taskstate.app.tasks.TaskDriver.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every refused command, whatever the reason, leaves tasks, indexes and the id sequence exactly
 * as they were and publishes no snapshot. The state it runs against: task 1 (pending, a root) with
 * subtask 2, which has subtask 3.
 */
class RefusedCommandTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @BeforeEach
    void tree() {
        driver.created("{'title': 'root', 'assignee': 'ann'}");
        driver.created("{'title': 'child', 'parent_task_id': 1}");
        driver.created("{'title': 'grandchild', 'parent_task_id': 2, 'status': 'completed'}");
    }

    @AfterEach
    void close() {
        driver.close();
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(create("{}"), Outcome.INVALID),
                Arguments.of(create("{'title': 'x', 'status': 'nope'}"), Outcome.INVALID),
                Arguments.of(create("{'title': 'x', 'parent_task_id': 9}"), Outcome.INVALID),
                Arguments.of(create("{'title': 'x', 'parent_task_id': -1}"), Outcome.INVALID),
                Arguments.of(create("{'title': 'x', 'assignee': 7}"), Outcome.INVALID),
                Arguments.of(create(Json.object().put("title", "x").put("assignee", "a".repeat(501))), Outcome.INVALID),
                Arguments.of(update(9, "{'title': 'x'}"), Outcome.NOT_FOUND),
                Arguments.of(update(1, "{}"), Outcome.INVALID),
                Arguments.of(update(1, "{'id': 5}"), Outcome.INVALID),
                Arguments.of(update(1, "{'subtask_ids': []}"), Outcome.INVALID),
                Arguments.of(update(1, "{'title': ''}"), Outcome.INVALID),
                Arguments.of(update(1, "{'priority': 3}"), Outcome.INVALID),
                Arguments.of(update(1, "{'metadata': 'text'}"), Outcome.INVALID),
                Arguments.of(update(1, "{'parent_task_id': 3}"), Outcome.INVALID),
                Arguments.of(update(2, "{'parent_task_id': 2}"), Outcome.INVALID),
                Arguments.of(update(1, "{'status': 'completed'}", "{'assignee': 'bob'}"), Outcome.CONFLICT),
                Arguments.of(update(1, "{'status': 'completed'}", "{'nope': 1}"), Outcome.INVALID),
                Arguments.of(Command.of(TaskDriver.CLIENT, CommandType.UPDATE_TASK, null, TaskDriver.json("{'title': 'x'}"), null),
                        Outcome.INVALID),
                Arguments.of(delete(9), Outcome.NOT_FOUND),
                Arguments.of(delete(1, "{'status': 'blocked'}"), Outcome.CONFLICT));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("refused")
    void refused_command_changes_nothing(Command command, Outcome expected) {
        // Given
        TaskDriver.State before = driver.state();

        // When
        Reply reply = driver.send(command);

        // Then
        assertThat(reply.outcome()).as(reply.message()).isEqualTo(expected);
        assertThat(reply.message()).isNotBlank();
        assertThat(reply.result() == null || reply.result().isNull()).as("no result").isTrue();
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.lastSnapshots()).isEmpty();
    }
}
