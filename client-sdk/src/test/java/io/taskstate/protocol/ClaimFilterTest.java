package io.taskstate.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which pending tasks a {@code claim_next} may take: every filter that is set must hold. */
class ClaimFilterTest {
    private static final Instant NOW = Instant.parse("2025-03-01T09:00:00Z");

    private static ObjectNode json(String singleQuoted) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(singleQuoted, e);
        }
    }

    private static Task task(String title, Priority priority, String assignee, Long parentId, String metadata) {
        return new Task(7, title, null, TaskStatus.PENDING, priority, assignee, parentId, List.of(), json(metadata),
                NOW, NOW, null, null);
    }

    private static Task task(String title) {
        return task(title, Priority.MEDIUM, null, null, "{}");
    }

    private static Task withMetadata(String metadata) {
        return task("t", Priority.MEDIUM, null, null, metadata);
    }

    @Test
    void no_filter_matches_any_task() {
        // Given
        Task task = task("Deploy", Priority.LOW, "ann", 3L, "{'region': 'eu'}");

        // When
        boolean matches = ClaimFilter.ANY.matches(task);

        // Then
        assertThat(matches).isTrue();
    }

    @Test
    void priority_filter_matches_that_priority_only() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.priority(Priority.HIGH);

        // When / Then
        assertThat(filter.matches(task("t", Priority.HIGH, null, null, "{}"))).isTrue();
        assertThat(filter.matches(task("t", Priority.CRITICAL, null, null, "{}"))).isFalse();
        assertThat(filter.matches(task("t", Priority.MEDIUM, null, null, "{}"))).isFalse();
    }

    @Test
    void unassigned_only_refuses_a_pending_task_that_names_an_assignee() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.onlyUnassigned();

        // When / Then
        assertThat(filter.matches(task("t", Priority.MEDIUM, "ann", null, "{}"))).isFalse();
        assertThat(filter.matches(task("t", Priority.MEDIUM, null, null, "{}"))).isTrue();
    }

    @Test
    void without_unassigned_only_an_assigned_pending_task_matches() {
        // When
        boolean matches = ClaimFilter.ANY.matches(task("t", Priority.MEDIUM, "ann", null, "{}"));

        // Then
        assertThat(matches).isTrue();
    }

    @Test
    void parent_filter_matches_subtasks_of_that_parent_only() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.parent(3);

        // When / Then
        assertThat(filter.matches(task("t", Priority.MEDIUM, null, 3L, "{}"))).isTrue();
        assertThat(filter.matches(task("t", Priority.MEDIUM, null, 4L, "{}"))).isFalse();
        assertThat(filter.matches(task("t", Priority.MEDIUM, null, null, "{}"))).isFalse();
    }

    @Test
    void title_filter_matches_a_part_of_the_title_ignoring_case() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.titleContains("GPU");

        // When / Then
        assertThat(filter.matches(task("Train on a gpu node"))).isTrue();
        assertThat(filter.matches(task("gPu"))).isTrue();
        assertThat(filter.matches(task("Train on a CPU node"))).isFalse();
    }

    @Test
    void metadata_filter_matches_an_equal_value() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.metadata("region", "eu");

        // When / Then
        assertThat(filter.matches(withMetadata("{'region': 'eu', 'tier': 1}"))).isTrue();
        assertThat(filter.matches(withMetadata("{'region': 'us'}"))).isFalse();
    }

    @Test
    void metadata_filter_does_not_match_a_task_without_the_field() {
        // When
        boolean matches = ClaimFilter.ANY.metadata("region", "eu").matches(withMetadata("{'tier': 1}"));

        // Then
        assertThat(matches).isFalse();
    }

    @Test
    void metadata_filter_compares_numbers_booleans_and_objects_by_value() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.metadata("gpus", 2).metadata("spot", true)
                .metadata("limits", json("{'mem': '8g'}"));

        // When / Then
        assertThat(filter.matches(withMetadata("{'gpus': 2, 'spot': true, 'limits': {'mem': '8g'}}"))).isTrue();
        assertThat(filter.matches(withMetadata("{'gpus': 2, 'spot': false, 'limits': {'mem': '8g'}}"))).isFalse();
        assertThat(filter.matches(withMetadata("{'gpus': '2', 'spot': true, 'limits': {'mem': '8g'}}"))).isFalse();
    }

    @Test
    void metadata_filter_with_a_single_value_matches_an_array_that_contains_it() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.metadata("capabilities", "gpu");

        // When / Then
        assertThat(filter.matches(withMetadata("{'capabilities': ['gpu', 'cpu']}"))).isTrue();
        assertThat(filter.matches(withMetadata("{'capabilities': ['cpu']}"))).isFalse();
        assertThat(filter.matches(withMetadata("{'capabilities': []}"))).isFalse();
    }

    @Test
    void metadata_filter_with_an_array_matches_an_equal_array_only() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.metadata("capabilities", List.of("gpu"));

        // When / Then
        assertThat(filter.matches(withMetadata("{'capabilities': ['gpu']}"))).isTrue();
        assertThat(filter.matches(withMetadata("{'capabilities': ['gpu', 'cpu']}"))).isFalse();
    }

    @Test
    void every_metadata_field_of_the_filter_must_hold() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.metadata("region", "eu").metadata("capabilities", "gpu");

        // When / Then
        assertThat(filter.matches(withMetadata("{'region': 'eu', 'capabilities': ['gpu']}"))).isTrue();
        assertThat(filter.matches(withMetadata("{'region': 'eu', 'capabilities': ['cpu']}"))).isFalse();
        assertThat(filter.matches(withMetadata("{'region': 'us', 'capabilities': ['gpu']}"))).isFalse();
    }

    @Test
    void every_filter_that_is_set_must_hold() {
        // Given
        ClaimFilter filter = ClaimFilter.ANY.priority(Priority.HIGH).onlyUnassigned().parent(3).titleContains("build")
                .metadata("region", "eu");
        Task all = task("Build app", Priority.HIGH, null, 3L, "{'region': 'eu'}");

        // When / Then
        assertThat(filter.matches(all)).isTrue();
        assertThat(filter.matches(task("Build app", Priority.LOW, null, 3L, "{'region': 'eu'}"))).isFalse();
        assertThat(filter.matches(task("Build app", Priority.HIGH, "ann", 3L, "{'region': 'eu'}"))).isFalse();
        assertThat(filter.matches(task("Build app", Priority.HIGH, null, 4L, "{'region': 'eu'}"))).isFalse();
        assertThat(filter.matches(task("Test app", Priority.HIGH, null, 3L, "{'region': 'eu'}"))).isFalse();
        assertThat(filter.matches(task("Build app", Priority.HIGH, null, 3L, "{'region': 'us'}"))).isFalse();
    }

    @Test
    void filter_read_from_its_wire_form_matches_like_the_built_one() {
        // Given
        ClaimFilter read = Json.convert(json("{'priority': 'high', 'unassigned_only': true, 'parent_task_id': 3,"
                + " 'title_contains': 'build', 'metadata': {'capabilities': 'gpu'}}"), ClaimFilter.class);

        // When / Then
        assertThat(read).isEqualTo(ClaimFilter.ANY.priority(Priority.HIGH).onlyUnassigned().parent(3)
                .titleContains("build").metadata("capabilities", "gpu"));
        assertThat(read.matches(task("Build it", Priority.HIGH, null, 3L, "{'capabilities': ['cpu', 'gpu']}"))).isTrue();
    }
}
