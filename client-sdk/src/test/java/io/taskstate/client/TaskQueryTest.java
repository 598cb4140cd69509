package io.taskstate.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.protocol.Priority;
import io.taskstate.protocol.TaskStatus;
import org.junit.jupiter.api.Test;

/** The query string a {@link TaskQuery} becomes: only the filters set, each value URL-encoded. */
class TaskQueryTest {

    @Test
    void no_filters_and_no_cursor_is_an_empty_query_string() {
        assertThat(TaskQuery.all().toQueryString(null)).isEmpty();
    }

    @Test
    void every_filter_is_named_as_the_http_api_names_it() {
        TaskQuery query = TaskQuery.all().status(TaskStatus.IN_PROGRESS).priority(Priority.HIGH).assignee("worker-1")
                .parent(12).rootsOnly().titleContains("review").descriptionContains("auth").pageSize(50);

        assertThat(query.toQueryString("c1")).isEqualTo("status=in_progress&priority=high&assignee=worker-1"
                + "&parent_task_id=12&root=true&title_contains=review&description_contains=auth&limit=50&cursor=c1");
    }

    @Test
    void text_is_url_encoded_so_it_matches_literally() {
        TaskQuery query = TaskQuery.all().titleContains("100% & _auth_ = a+b/é?").assignee("team #1");

        assertThat(query.toQueryString(null))
                .isEqualTo("assignee=team+%231&title_contains=100%25+%26+_auth_+%3D+a%2Bb%2F%C3%A9%3F");
    }

    @Test
    void a_base64_cursor_survives_the_trip() {
        assertThat(TaskQuery.all().pageSize(4).toQueryString("eyJ0Ijo+MX0/a=="))
                .isEqualTo("limit=4&cursor=eyJ0Ijo%2BMX0%2Fa%3D%3D");
    }

    @Test
    void each_filter_returns_a_new_query_and_leaves_the_original_unchanged() {
        TaskQuery pending = TaskQuery.all().status(TaskStatus.PENDING);

        TaskQuery narrowed = pending.assignee("worker-2");

        assertThat(pending.toQueryString(null)).isEqualTo("status=pending");
        assertThat(narrowed.toQueryString(null)).isEqualTo("status=pending&assignee=worker-2");
    }

    @Test
    void metadata_time_and_sort_are_named_as_the_http_api_names_them() {
        TaskQuery query = TaskQuery.all().status(TaskStatus.IN_PROGRESS).metadata("team", "back end").metadata("retries", 3)
                .updatedBefore(java.time.Instant.parse("2026-01-21T10:00:00Z"))
                .sort(new io.taskstate.protocol.TaskSort(io.taskstate.protocol.TaskSort.Field.PRIORITY, true));

        assertThat(query.toQueryString(null)).isEqualTo("status=in_progress&metadata.team=back+end&metadata.retries=3"
                + "&updated_before=2026-01-21T10%3A00%3A00Z&sort=priority&order=asc");
    }
}
