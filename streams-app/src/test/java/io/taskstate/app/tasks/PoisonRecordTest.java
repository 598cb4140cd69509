package io.taskstate.app.tasks;

import static io.taskstate.app.tasks.TaskDriver.create;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Records the processor cannot read go to the dead-letter topic, and processing goes on. */
class PoisonRecordTest {
    private final TaskDriver driver = TaskDriver.withPartitions(1);

    @AfterEach
    void close() {
        driver.close();
    }

    static Stream<Arguments> unreadable() {
        ObjectNode noCommandId = (ObjectNode) Json.MAPPER.valueToTree(create("{'title': 'a'}"));
        noCommandId.remove("command_id");
        ObjectNode unknownType = (ObjectNode) Json.MAPPER.valueToTree(create("{'title': 'a'}"));
        unknownType.put("type", "archive_task");
        ObjectNode payloadNotObject = (ObjectNode) Json.MAPPER.valueToTree(create("{'title': 'a'}"));
        payloadNotObject.put("payload", "title=a");
        ObjectNode taskIdNotNumber = (ObjectNode) Json.MAPPER.valueToTree(TaskDriver.update(1, "{'title': 'a'}"));
        taskIdNotNumber.put("task_id", "one");
        ObjectNode taskIdFraction = (ObjectNode) Json.MAPPER.valueToTree(TaskDriver.update(1, "{'title': 'a'}"));
        taskIdFraction.put("task_id", 1.5);
        return Stream.of(
                Arguments.of("not JSON", "{title: oops".getBytes(StandardCharsets.UTF_8), "not JSON"),
                Arguments.of("JSON but not an object", "[1, 2, 3]".getBytes(StandardCharsets.UTF_8), "JSON object"),
                Arguments.of("missing command_id", Json.bytes(noCommandId), "command_id"),
                Arguments.of("unknown command type", Json.bytes(unknownType), "archive_task"),
                Arguments.of("payload not an object", Json.bytes(payloadNotObject), "payload"),
                Arguments.of("task_id not a number", Json.bytes(taskIdNotNumber), "task_id"),
                Arguments.of("task_id not an integer", Json.bytes(taskIdFraction), "task_id"),
                Arguments.of("empty value", new byte[0], ""),
                Arguments.of("null value", null, "empty record"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void unreadable_record_goes_to_the_dead_letter_topic_with_a_reason(String what, byte[] value, String reasonMentions) {
        // When
        driver.pipeRaw("key-1".getBytes(StandardCharsets.UTF_8), value);

        // Then
        assertThat(driver.lastDeadLetters()).hasSize(1);
        TestRecord<byte[], byte[]> dead = driver.lastDeadLetters().get(0);
        assertThat(dead.key()).asString().isEqualTo("key-1");
        assertThat(dead.value()).isEqualTo(value);
        assertThat(TaskDriver.header(dead, TopologyBuilder.DEAD_LETTER_REASON)).isNotBlank().contains(reasonMentions);
        assertThat(driver.metric(DeadLetters.METRIC)).isEqualTo(1.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void unreadable_record_changes_nothing_and_is_answered_only_as_invalid(String what, byte[] value, String reasonMentions) {
        // Given
        driver.created("{'title': 'existing'}");
        TaskDriver.State before = driver.state();

        // When
        driver.pipeRaw(null, value);

        // Then
        assertThat(driver.lastReplyRecords()).allSatisfy(r ->
                assertThat(Json.read(r.value(), Reply.class).outcome()).isEqualTo(Outcome.INVALID));
        assertThat(driver.lastSnapshots()).isEmpty();
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void unreadable_command_that_names_its_sender_gets_an_invalid_reply_at_once() {
        // Given
        ObjectNode unknownType = (ObjectNode) Json.MAPPER.valueToTree(create("{'title': 'a'}"));
        unknownType.put("type", "archive_task");

        // When
        driver.pipeRaw(null, Json.bytes(unknownType));

        // Then
        assertThat(driver.lastReplyRecords()).hasSize(1);
        Reply reply = Json.read(driver.lastReplyRecords().get(0).value(), Reply.class);
        assertThat(reply.commandId()).isEqualTo(unknownType.get("command_id").asText());
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("archive_task").contains("dead-letter");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void valid_command_after_an_unreadable_record_is_still_processed(String what, byte[] value, String reasonMentions) {
        // Given
        driver.pipeRaw(null, value);

        // When
        Reply reply = driver.send(create("{'title': 'after the poison'}"));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.OK);
        assertThat(driver.allTasks()).hasSize(1);
    }

    @Test
    void unknown_command_type_is_not_remembered_as_a_command() {
        // Given
        Command command = create("{'title': 'a'}");
        ObjectNode unknownType = (ObjectNode) Json.MAPPER.valueToTree(command);
        unknownType.put("type", "archive_task");

        // When
        driver.pipeRaw(null, Json.bytes(unknownType));

        // Then
        assertThat(driver.dedup().get(command.commandId())).isNull();
    }

    @Test
    void too_deeply_nested_json_goes_to_the_dead_letter_topic() {
        // Given
        String deep = "[".repeat(Json.MAX_DEPTH + 10) + "]".repeat(Json.MAX_DEPTH + 10);
        String value = "{\"command_id\": \"c1\", \"client_id\": \"x\", \"type\": \"create_task\","
                + " \"payload\": {\"title\": \"a\", \"metadata\": {\"deep\": " + deep + "}}}";

        // When
        driver.pipeRaw(null, value.getBytes(StandardCharsets.UTF_8));

        // Then
        assertThat(driver.lastDeadLetters()).hasSize(1);
        assertThat(driver.allTasks()).isEmpty();
    }

    @Test
    void every_dead_letter_is_counted_in_a_streams_metric_by_reason() {
        // Given
        ObjectNode unknownType = (ObjectNode) Json.MAPPER.valueToTree(create("{'title': 'a'}"));
        unknownType.put("type", "archive_task");

        // When
        driver.pipeRaw(null, "{title: oops".getBytes(StandardCharsets.UTF_8));
        driver.pipeRaw(null, "[1]".getBytes(StandardCharsets.UTF_8));
        driver.pipeRaw(null, Json.bytes(unknownType));
        driver.pipeHeartbeatRaw("w".getBytes(StandardCharsets.UTF_8), "nope".getBytes(StandardCharsets.UTF_8));

        // Then
        assertThat(driver.deadLetterCounts()).containsEntry("unreadable", 2L).containsEntry("unknown_type", 1L)
                .containsEntry("bad_heartbeat", 1L).containsEntry("failed", 0L);
    }

    @Test
    void a_record_too_large_to_copy_whole_is_cut_in_the_dead_letter_topic_and_says_its_size() {
        // Given a value as large as a Kafka record can be
        byte[] huge = new byte[1_048_000];
        java.util.Arrays.fill(huge, (byte) 'x');

        // When
        driver.pipeRaw("key".getBytes(StandardCharsets.UTF_8), huge);

        // Then
        TestRecord<byte[], byte[]> dead = driver.lastDeadLetters().get(0);
        assertThat(dead.value()).hasSize(DeadLetters.MAX_COPY_BYTES - 3);
        assertThat(TaskDriver.header(dead, DeadLetters.TRUNCATED_FROM)).isEqualTo("1048000");
        assertThat(TaskDriver.header(dead, TopologyBuilder.DEAD_LETTER_REASON)).startsWith("not JSON");
    }

    @Test
    void a_command_of_900_kb_is_refused_with_a_reason_and_changes_nothing() {
        // Given
        driver.created("{'title': 'existing'}");
        TaskDriver.State before = driver.state();
        ObjectNode payload = Json.object().put("title", "big").put("description", "d".repeat(900_000));

        // When
        Reply reply = driver.send(create(payload));

        // Then
        assertThat(reply.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(reply.message()).contains("Description is too long");
        assertThat(driver.state()).isEqualTo(before);
    }

    @Test
    void envelope_ids_longer_than_256_characters_go_to_the_dead_letter_topic() {
        // Given
        ObjectNode longId = (ObjectNode) Json.MAPPER.valueToTree(create("{'title': 'a'}"));
        longId.put("command_id", "c".repeat(257));

        // When
        driver.pipeRaw(null, Json.bytes(longId));

        // Then
        assertThat(TaskDriver.header(driver.lastDeadLetters().get(0), TopologyBuilder.DEAD_LETTER_REASON))
                .contains("command_id").contains("256");
        assertThat(driver.allTasks()).isEmpty();
    }

    static Stream<Arguments> everyTypeWithJunk() {
        List<String> payloads = List.of("{}", "{\"instance_id\": 5}", "{\"task_ids\": \"x\"}", "{\"state\": []}",
                "{\"instance_id\": \"w\", \"state\": {\"current_task_id\": \"x\"}}", "{\"expired_at\": \"soon\"}",
                "{\"title\": {}}", "{\"assignee\": [], \"lease_seconds\": {}}");
        return java.util.Arrays.stream(io.taskstate.protocol.CommandType.values())
                .flatMap(type -> payloads.stream().map(p -> Arguments.of(type.wire(), p)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyTypeWithJunk")
    void a_command_of_any_type_with_a_junk_payload_never_stops_the_partition(String type, String payload) {
        // Given
        String value = "{\"command_id\": \"junk-1\", \"client_id\": \"fuzz\", \"type\": \"" + type
                + "\", \"task_id\": 1, \"payload\": " + payload + "}";

        // When
        driver.pipeRaw(null, value.getBytes(StandardCharsets.UTF_8));
        Reply after = driver.send(create("{'title': 'after the junk'}"));

        // Then
        assertThat(after.outcome()).isEqualTo(Outcome.OK);
    }
}
