package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.at;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Heartbeats the processor cannot read go to the dead-letter topic, and processing goes on. */
class PoisonHeartbeatTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    static Stream<Arguments> unreadable() {
        return Stream.of(
                Arguments.of("not JSON", bytes("{instance_id: oops"), "unreadable heartbeat"),
                Arguments.of("missing instance_id", bytes("{\"command_id\": \"c1\", \"client_id\": \"x\"}"), "instance_id"),
                Arguments.of("instance_id null", bytes("{\"instance_id\": null}"), "instance_id"),
                Arguments.of("instance_id blank", bytes("{\"instance_id\": \"  \"}"), "instance_id"),
                Arguments.of("instance_id an object", bytes("{\"instance_id\": {\"id\": 1}}"), "unreadable heartbeat"),
                Arguments.of("instance_id a number", bytes("{\"instance_id\": 42}"), "instance_id is a string"),
                Arguments.of("JSON but not an object", bytes("[1, 2]"), "unreadable heartbeat"),
                Arguments.of("empty value", new byte[0], "unreadable heartbeat"),
                Arguments.of("null value", null, "unreadable heartbeat"));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void unreadable_heartbeat_goes_to_the_dead_letter_topic_with_a_reason(String what, byte[] value, String reasonMentions) {
        // When
        driver.pipeHeartbeatRaw(bytes("worker-1"), value);

        // Then
        assertThat(driver.lastDeadLetters()).hasSize(1);
        TestRecord<byte[], byte[]> dead = driver.lastDeadLetters().get(0);
        assertThat(dead.key()).asString().isEqualTo("worker-1");
        assertThat(dead.value()).isEqualTo(value);
        assertThat(TaskDriver.header(dead, TopologyBuilder.DEAD_LETTER_REASON)).contains(reasonMentions);
        assertThat(TaskDriver.header(dead, "taskstate.dead-letter.source")).startsWith("taskstate.heartbeats-0@");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void unreadable_heartbeat_changes_nothing_and_is_not_answered(String what, byte[] value, String reasonMentions) {
        // Given
        driver.heartbeat("worker-1", at(1));

        // When
        driver.pipeHeartbeatRaw(bytes("worker-1"), value);

        // Then
        assertThat(driver.lastReplyRecords()).isEmpty();
        assertThat(driver.lastInstanceSnapshots()).isEmpty();
        assertThat(driver.allInstances()).containsOnlyKeys("worker-1");
        assertThat(driver.instance("worker-1").lastHeartbeat()).isEqualTo(at(1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void valid_heartbeat_after_an_unreadable_one_is_still_processed(String what, byte[] value, String reasonMentions) {
        // Given
        driver.pipeHeartbeatRaw(bytes("worker-1"), value);

        // When
        driver.heartbeat("worker-1", at(100));

        // Then
        assertThat(driver.instance("worker-1").lastHeartbeat()).isEqualTo(at(100));
    }

    @Test
    void heartbeat_with_a_blank_instance_id_is_not_taken_for_a_command() {
        // When
        driver.pipeHeartbeatRaw(bytes("x"), bytes("{\"instance_id\": \"\", \"command_id\": \"c1\", \"client_id\": \"x\"}"));

        // Then
        assertThat(driver.lastDeadLetters()).hasSize(1);
        assertThat(driver.lastReplyRecords()).isEmpty();
        assertThat(driver.dedup().get("c1")).isNull();
    }
}
