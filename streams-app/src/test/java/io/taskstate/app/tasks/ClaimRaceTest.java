package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static io.taskstate.app.tasks.TaskDriver.claim;
import static io.taskstate.app.tasks.TaskDriver.release;
import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two workers claim the same pending task; the partition applies their commands one after the
 * other, so exactly one wins. A retry of either command (same command id) gets its first reply
 * again and changes nothing, whatever happened to the task in between.
 */
class ClaimRaceTest {
    private static final String WINNER = "worker-1";
    private static final String LOSER = "worker-2";

    private final TaskDriver driver = TaskDriver.withPartitions(1);
    private Task task;
    private Command first;
    private Command second;

    @BeforeEach
    void twoClaimsOfOnePendingTask() {
        task = driver.created("{'title': 'contended'}", at(1));
        first = claim(task.id(), "{'assignee': '" + WINNER + "'}");
        second = claim(task.id(), "{'assignee': '" + LOSER + "'}");
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void of_two_claims_of_one_pending_task_exactly_one_wins_and_the_other_is_a_conflict() {
        // When
        Reply won = driver.send(first, at(10));
        Reply lost = driver.send(second, at(10));

        // Then
        assertThat(won.outcome()).isEqualTo(Outcome.OK);
        assertThat(lost.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(lost.message()).contains("held by " + WINNER);
    }

    @Test
    void only_the_winner_holds_the_task_and_only_its_instance_points_at_it() {
        // When
        driver.send(first, at(10));
        driver.send(second, at(10));

        // Then
        assertThat(driver.task(task.id()).assignee()).isEqualTo(WINNER);
        assertThat(driver.instance(WINNER).currentTaskId()).isEqualTo(task.id());
        assertThat(driver.instance(LOSER)).isNull();
    }

    @Test
    void retry_of_the_winning_claim_gets_the_same_ok_reply() {
        // Given
        Reply won = driver.send(first, at(10));
        driver.send(second, at(10));

        // When
        Reply retry = driver.send(first, at(20));

        // Then
        assertThat(retry).isEqualTo(won);
    }

    @Test
    void retry_of_the_winning_claim_is_not_applied_again() {
        // Given
        driver.send(first, at(10));
        TaskDriver.State before = driver.state();

        // When
        driver.send(first, at(20));

        // Then
        assertThat(driver.state()).isEqualTo(before);
        assertThat(driver.task(task.id()).updatedAt()).isEqualTo(at(10));
        assertThat(driver.lastSnapshots()).isEmpty();
        assertThat(driver.lastSentCommands(CommandType.SET_CURRENT_TASK)).isEmpty();
    }

    @Test
    void retry_of_the_winning_claim_after_a_release_does_not_claim_the_task_again() {
        // Given
        Reply won = driver.send(first, at(10));
        driver.succeeded(release(task.id(), "{'assignee': '" + WINNER + "'}"), at(15));

        // When
        Reply retry = driver.send(first, at(20));

        // Then
        assertThat(retry).isEqualTo(won);
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(driver.task(task.id()).assignee()).isNull();
    }

    @Test
    void retry_of_the_losing_claim_gets_the_same_conflict_even_once_the_task_is_free() {
        // Given
        driver.send(first, at(10));
        Reply lost = driver.send(second, at(10));
        driver.succeeded(release(task.id(), "{'assignee': '" + WINNER + "'}"), at(15));

        // When
        Reply retry = driver.send(second, at(20));

        // Then
        assertThat(retry).isEqualTo(lost);
        assertThat(driver.task(task.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(driver.instance(LOSER)).isNull();
    }
}
