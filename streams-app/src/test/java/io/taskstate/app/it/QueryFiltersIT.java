package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Metadata and time filters and the sorts of {@code GET /api/v1/tasks}, paged with cursors, on a real broker. */
@ExtendWith(KafkaBroker.class)
class QueryFiltersIT {
    private static RunningApp app;
    private static Http http;

    @BeforeAll
    static void start() {
        app = RunningApp.start(3);
        http = new Http(app.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void metadata_equality_and_array_contains_select_tasks() {
        String tag = unique();
        long backend = create("{\"title\":\"" + tag + " a\",\"metadata\":{\"team\":\"backend\",\"tags\":[\"auth\",\"api\"],\"retries\":3}}");
        create("{\"title\":\"" + tag + " b\",\"metadata\":{\"team\":\"frontend\",\"tags\":[\"ui\"]}}");
        long tagged = create("{\"title\":\"" + tag + " c\",\"metadata\":{\"tags\":[\"api\"]}}");

        assertThat(ids("title_contains=" + tag + "&metadata.team=backend")).containsExactly(backend);
        assertThat(ids("title_contains=" + tag + "&metadata.tags=api")).containsExactly(tagged, backend);
        assertThat(ids("title_contains=" + tag + "&metadata.retries=3&metadata.tags=auth")).containsExactly(backend);
        assertThat(ids("title_contains=" + tag + "&metadata.team=nobody")).isEmpty();
    }

    @Test
    void time_ranges_find_stuck_tasks_and_bad_times_are_refused() {
        String tag = unique();
        long stuck = create("{\"title\":\"" + tag + " stuck\",\"status\":\"in_progress\",\"assignee\":\"w1\"}");
        Instant between = Instant.now();
        awaitClockPast(between);
        long fresh = create("{\"title\":\"" + tag + " fresh\",\"status\":\"in_progress\",\"assignee\":\"w1\"}");
        String at = enc(between.toString());

        assertThat(ids("title_contains=" + tag + "&status=in_progress&updated_before=" + at)).containsExactly(stuck);
        assertThat(ids("title_contains=" + tag + "&created_after=" + at)).containsExactly(fresh);
        assertThat(ids("title_contains=" + tag + "&created_before=" + at + "&created_after=" + enc(between.minusSeconds(60).toString())))
                .containsExactly(stuck);
        assertThat(ids("title_contains=" + tag + "&completed_after=" + at)).isEmpty();

        Http.Response bad = http.get("/api/v1/tasks?updated_before=yesterday");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().get("detail").asText()).contains("updated_before must be an ISO-8601 time");
        assertThat(http.get("/api/v1/tasks?sort=title").body().get("detail").asText())
                .contains("Invalid sort. Must be one of: created_at, updated_at, priority");
    }

    @Test
    void every_sort_pages_through_all_matches_in_order() {
        String tag = unique();
        String[] priorities = {"low", "critical", "medium", "high", "low", "critical", "medium"};
        List<Long> created = new ArrayList<>();
        for (String p : priorities) {
            created.add(create("{\"title\":\"" + tag + "\",\"priority\":\"" + p + "\"}"));
        }
        // touch the oldest last: it becomes the most recently updated
        assertThat(http.patch("/api/v1/tasks/" + created.get(0), "{\"description\":\"touched\"}").status()).isEqualTo(200);

        List<Long> oldestFirst = pages("title_contains=" + tag + "&sort=created_at&order=asc", 3);
        List<Long> newestFirst = pages("title_contains=" + tag, 3);
        List<JsonNode> byPriority = tasks("title_contains=" + tag + "&sort=priority", 2);
        List<Long> byUpdate = pages("title_contains=" + tag + "&sort=updated_at&order=desc", 2);

        assertThat(oldestFirst).containsExactlyElementsOf(created);
        List<Long> reversed = new ArrayList<>(created);
        java.util.Collections.reverse(reversed);
        assertThat(newestFirst).containsExactlyElementsOf(reversed);
        assertThat(byPriority).extracting(t -> t.get("priority").asText())
                .containsExactly("critical", "critical", "high", "medium", "medium", "low", "low");
        assertThat(byPriority).extracting(t -> t.get("id").asLong()).startsWith(created.get(5), created.get(1));
        assertThat(byUpdate.get(0)).isEqualTo(created.get(0));
        assertThat(byUpdate).hasSize(7).doesNotHaveDuplicates();
        Http.Response mixed = http.get("/api/v1/tasks?title_contains=" + tag + "&sort=priority&cursor="
                + http.get("/api/v1/tasks?title_contains=" + tag + "&limit=2").body().get("next_cursor").asText());
        assertThat(mixed.status()).isEqualTo(400);
        assertThat(mixed.body().get("detail").asText()).contains("pass the same sort and order as the first page");
    }

    private static List<Long> pages(String query, int limit) {
        return tasks(query, limit).stream().map(t -> t.get("id").asLong()).toList();
    }

    private static List<JsonNode> tasks(String query, int limit) {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            Http.Response page = http.get("/api/v1/tasks?" + query + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).as("%s", page.body()).isEqualTo(200);
            page.body().get("tasks").forEach(all::add);
            cursor = page.body().get("next_cursor").isNull() ? null : page.body().get("next_cursor").asText();
        } while (cursor != null);
        return all;
    }

    private static List<Long> ids(String query) {
        Http.Response page = http.get("/api/v1/tasks?" + query);
        assertThat(page.status()).as("%s", page.body()).isEqualTo(200);
        List<Long> ids = new ArrayList<>();
        page.body().get("tasks").forEach(t -> ids.add(t.get("id").asLong()));
        return ids;
    }

    private static long create(String body) {
        Http.Response r = http.post("/api/v1/tasks", body);
        assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
        return r.body().get("id").asLong();
    }

    /** Waits (with a deadline) until the wall clock is past {@code t}, so a task created next is strictly later. */
    private static void awaitClockPast(Instant t) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(t.plusMillis(2)));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String unique() {
        return "qf" + UUID.randomUUID().toString().substring(0, 8);
    }
}
