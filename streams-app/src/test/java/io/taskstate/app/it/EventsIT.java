package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.EventFilter;
import io.taskstate.client.NewTask;
import io.taskstate.client.Subscription;
import io.taskstate.client.TaskEvent;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import io.taskstate.protocol.Topic;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Live updates on a real broker: GET /api/v1/events as Server-Sent Events, raw and through the SDK. */
@ExtendWith(KafkaBroker.class)
class EventsIT {
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static RunningApp app;
    private static TaskStateClient client;

    @BeforeAll
    static void start() {
        app = RunningApp.start(PARTITIONS);
        client = app.client();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void every_change_reaches_every_subscriber_once_and_in_order_per_task() throws Exception {
        // Given: two SDK subscribers and one raw HTTP stream, all open before the changes
        String tag = unique();
        Collector first = new Collector();
        Collector second = new Collector();
        try (Subscription a = client.subscribe(EventFilter.tasks(), first);
             Subscription b = client.subscribe(EventFilter.tasks(), second);
             RawStream raw = RawStream.open("/api/v1/events?type=task", null)) {

            // When: tasks on every partition are created, updated, claimed and some deleted
            Map<Long, List<String>> expected = new LinkedHashMap<>();
            for (int i = 0; i < 12; i++) {
                Task task = client.createTask(NewTask.titled(tag + " " + i));
                expected.computeIfAbsent(task.id(), id -> new ArrayList<>()).add("created/create_task");
            }
            for (long id : expected.keySet()) {
                client.updateTask(id, TaskUpdate.of().description("step 1"));
                expected.get(id).add("updated/update_task");
                client.claim(id, "worker-" + tag);
                expected.get(id).add("updated/claim_task");
                if (id % 2 == 0) {
                    client.deleteTask(id);
                    expected.get(id).add("deleted/delete_task");
                }
            }
            int total = expected.values().stream().mapToInt(List::size).sum();

            // Then
            assertThat(expected.keySet().stream().map(id -> Partitioning.partitionOfTask(id, PARTITIONS)).collect(Collectors.toSet()))
                    .as("the tasks span every partition").hasSize(PARTITIONS);
            List<JsonNode> rawEvents = raw.read(total, e -> e.path("task").path("title").asText().startsWith(tag));
            await().atMost(WAIT).until(() -> first.tagged(tag).size() >= total && second.tagged(tag).size() >= total);
            sentinel(tag, first, second);
            for (Collector c : List.of(first, second)) {
                assertThat(perTask(c.tagged(tag).stream().map(EventsIT::tree).toList())).isEqualTo(expected);
            }
            assertThat(perTask(rawEvents)).isEqualTo(expected);
        }
    }

    @Test
    void filters_send_only_the_matching_changes() {
        // Given
        String tag = unique();
        String worker = "worker-" + tag;
        Task parent = client.createTask(NewTask.titled(tag + " parent"));
        Collector inProgressOfWorker = new Collector();
        Collector subtasks = new Collector();
        Collector instances = new Collector();
        try (Subscription a = client.subscribe(EventFilter.tasks().status(TaskStatus.IN_PROGRESS).assignee(worker), inProgressOfWorker);
             Subscription b = client.subscribe(EventFilter.tasks().parent(parent.id()), subtasks);
             Subscription c = client.subscribe(EventFilter.instances().assignee(worker), instances)) {

            // When
            Task child = client.createTask(NewTask.titled(tag + " child").parent(parent.id()));
            Task other = client.createTask(NewTask.titled(tag + " other"));
            client.claim(other.id(), "someone-else");
            client.claim(child.id(), worker);
            client.updateTask(parent.id(), TaskUpdate.of().description("not a subtask"));
            Task last = client.updateTask(child.id(), TaskUpdate.of().status(TaskStatus.COMPLETED));

            // Then
            await().atMost(WAIT).until(() -> subtasks.events.size() >= 3 && inProgressOfWorker.events.size() >= 1
                    && !instances.events.isEmpty());
            assertThat(subtasks.events).extracting(e -> e.task().id() + "/" + e.cause())
                    .containsExactly(child.id() + "/create_task", child.id() + "/claim_task", child.id() + "/update_task");
            assertThat(subtasks.events.get(2).task()).isEqualTo(last);
            assertThat(inProgressOfWorker.events).extracting(e -> e.task().id() + "/" + e.cause())
                    .containsExactly(child.id() + "/claim_task");
            assertThat(instances.events).allSatisfy(e -> assertThat(e.instance().instanceId()).isEqualTo(worker));
            assertThat(instances.events.get(0).instance().currentTaskId()).isEqualTo(child.id());
        }
    }

    @Test
    void a_raw_stream_resumed_with_last_event_id_gets_exactly_the_missed_changes() throws Exception {
        // Given: a stream that saw some changes, then disconnected
        String tag = unique();
        List<Long> ids = new ArrayList<>();
        String lastId;
        try (RawStream raw = RawStream.open("/api/v1/events?type=task", null)) {
            for (int i = 0; i < 4; i++) {
                ids.add(client.createTask(NewTask.titled(tag + " seen " + i)).id());
            }
            raw.read(4, e -> e.path("task").path("title").asText().startsWith(tag));
            lastId = raw.lastId;
        }

        // When: more changes while it is away, then it reconnects with the id of the last event it got
        List<String> missed = new ArrayList<>();
        for (long id : ids) {
            missed.add(client.updateTask(id, TaskUpdate.of().description("while away")).id() + "/update_task");
        }
        for (int i = 0; i < 3; i++) {
            missed.add(client.createTask(NewTask.titled(tag + " missed " + i)).id() + "/create_task");
        }
        try (RawStream resumed = RawStream.open("/api/v1/events?type=task", lastId)) {
            Task after = client.createTask(NewTask.titled(tag + " after"));
            List<JsonNode> got = resumed.read(missed.size() + 1, e -> e.path("task").path("title").asText().startsWith(tag));

            // Then: the missed ones, each once, then the new one; nothing it had already seen
            List<String> expected = new ArrayList<>(missed);
            expected.add(after.id() + "/create_task");
            assertThat(got.stream().map(e -> e.path("task").path("id").asLong() + "/" + e.path("cause").asText()).sorted().toList())
                    .isEqualTo(expected.stream().sorted().toList());
            // in order within a partition (the new task's comes after every missed one of its partition);
            // partitions interleave in the order they are read
            int home = Partitioning.partitionOfTask(after.id(), PARTITIONS);
            List<Long> samePartition = got.stream().map(e -> e.path("task").path("id").asLong())
                    .filter(id -> Partitioning.partitionOfTask(id, PARTITIONS) == home).toList();
            assertThat(samePartition.get(samePartition.size() - 1)).isEqualTo(after.id());
        }
    }

    @Test
    void an_sdk_subscription_resumed_after_its_last_event_id_gets_exactly_the_missed_changes() {
        // Given
        String tag = unique();
        Collector before = new Collector();
        String lastId;
        Task task;
        try (Subscription s = client.subscribe(EventFilter.tasks(), before)) {
            task = client.createTask(NewTask.titled(tag + " a"));
            await().atMost(WAIT).until(() -> before.tagged(tag).size() == 1);
            lastId = s.lastEventId();
        }

        // When
        client.updateTask(task.id(), TaskUpdate.of().description("while away"));
        Task other = client.createTask(NewTask.titled(tag + " b"));
        Collector after = new Collector();
        try (Subscription s = client.subscribe(EventFilter.tasks(), lastId, after)) {
            await().atMost(WAIT).until(() -> after.tagged(tag).size() >= 2);
            sentinel(tag, after);

            // Then: each missed change once (two tasks, possibly on two partitions: in either order)
            assertThat(after.tagged(tag)).extracting(e -> e.task().id() + "/" + e.change())
                    .containsExactlyInAnyOrder(task.id() + "/updated", other.id() + "/created");
        }
    }

    @Test
    void a_position_older_than_the_retention_resumes_from_the_oldest_kept_and_says_events_were_lost() throws Exception {
        // Given: a position, then changes after it whose records are then removed from the topic
        String tag = unique();
        Collector positioned = new Collector();
        String oldId;
        try (Subscription s = client.subscribe(EventFilter.tasks(), positioned)) {
            oldId = s.lastEventId();
        }
        for (int i = 0; i < 3; i++) {
            client.createTask(NewTask.titled(tag + " gone " + i));
        }
        deleteAllEvents();

        // When
        Collector resumed = new Collector();
        try (Subscription s = client.subscribe(EventFilter.tasks(), oldId, resumed)) {
            Task kept = client.createTask(NewTask.titled(tag + " kept"));

            // Then
            await().atMost(WAIT).until(() -> resumed.tagged(tag).size() == 1);
            assertThat(resumed.events.get(0).isLost()).isTrue();
            assertThat(resumed.events.get(0).detail()).contains("TASKSTATE_EVENTS_RETENTION");
            assertThat(resumed.tagged(tag)).extracting(e -> e.task().id()).containsExactly(kept.id());
        }
    }

    @Test
    void bad_parameters_and_positions_are_refused_with_a_problem() {
        Http http = new Http(app.baseUrl());

        Http.Response unknown = http.get("/api/v1/events?state=pending");
        Http.Response status = http.get("/api/v1/events?type=task&status=busy");
        Http.Response position = http.get("/api/v1/events?last_event_id=1.2");

        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().path("detail").asText()).contains("Unknown query parameter: state").contains("status");
        assertThat(status.status()).isEqualTo(400);
        assertThat(status.body().path("detail").asText()).contains("pending, in_progress, completed, blocked");
        assertThat(position.status()).isEqualTo(400);
        assertThat(position.body().path("detail").asText()).contains("2 offsets").contains("3 partitions");
        assertThatThrownBy(() -> client.subscribe(EventFilter.tasks(), "x.y.z", e -> { }))
                .isInstanceOf(TaskStateException.Invalid.class).hasMessageContaining("not a number");
    }

    @Test
    void the_events_topic_keeps_changes_for_the_configured_retention() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, app.server().bootstrapServers()))) {
            org.apache.kafka.common.config.ConfigResource topic = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topic.EVENTS.name(app.topicPrefix()));

            var config = admin.describeConfigs(List.of(topic)).all().get().get(topic);

            assertThat(config.get("cleanup.policy").value()).isEqualTo("delete");
            assertThat(config.get("retention.ms").value()).isEqualTo(Long.toString(Duration.ofHours(24).toMillis()));
        }
    }

    // ---- helpers

    /** Makes one more tagged change and waits for it at every collector, so nothing unexpected is still on its way. */
    private static void sentinel(String tag, Collector... collectors) {
        Task sentinel = client.createTask(NewTask.titled(tag + " sentinel"));
        await().atMost(WAIT).until(() -> List.of(collectors).stream()
                .allMatch(c -> c.events.stream().anyMatch(e -> e.task() != null && e.task().id() == sentinel.id())));
        for (Collector c : collectors) {
            c.events.removeIf(e -> e.task() != null && e.task().id() == sentinel.id());
        }
    }

    /** Each task's changes in the order they arrived, as change/cause. */
    private static Map<Long, List<String>> perTask(List<JsonNode> events) {
        Map<Long, List<String>> seen = new LinkedHashMap<>();
        for (JsonNode e : events) {
            seen.computeIfAbsent(e.path("task").path("id").asLong(), id -> new ArrayList<>())
                    .add(e.path("change").asText() + "/" + e.path("cause").asText());
        }
        return new java.util.TreeMap<>(seen);
    }

    private static JsonNode tree(TaskEvent e) {
        JsonNode node = Json.MAPPER.createObjectNode().put("change", e.change()).put("cause", e.cause())
                .set("task", Json.MAPPER.valueToTree(e.task()));
        return node;
    }

    /** Removes every record of the events topic, as retention eventually does. */
    private static void deleteAllEvents() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, app.server().bootstrapServers()))) {
            String topic = Topic.EVENTS.name(app.topicPrefix());
            Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, RecordsToDelete> delete = new LinkedHashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> delete.put(tp, RecordsToDelete.beforeOffset(info.offset())));
            admin.deleteRecords(delete).all().get();
        }
    }

    private static String unique() {
        return "ev-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** An SDK listener that keeps what it got. */
    private static final class Collector implements Consumer<TaskEvent> {
        final List<TaskEvent> events = new CopyOnWriteArrayList<>();

        @Override
        public void accept(TaskEvent e) {
            events.add(e);
        }

        List<TaskEvent> tagged(String tag) {
            return events.stream().filter(e -> e.task() != null && e.task().title().startsWith(tag)).toList();
        }
    }

    /** A Server-Sent Events stream read with plain java.net.http, frame by frame. */
    private static final class RawStream implements AutoCloseable {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final InputStream body;
        private final BufferedReader reader;
        /** A deadline on every read: past it the stream is closed under a reader that waits too long. */
        private CompletableFuture<Void> deadline;
        String lastId;

        private RawStream(InputStream body) {
            this.body = body;
            this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        }

        /** Opens the stream and reads its first frame, the position it starts at. */
        static RawStream open(String path, String lastEventId) throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).GET();
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            RawStream stream = new RawStream(response.body());
            stream.deadline = CompletableFuture.runAsync(stream::close,
                    CompletableFuture.delayedExecutor(WAIT.toMillis(), TimeUnit.MILLISECONDS));
            assertThat(stream.frame()).as("first frame").isNull();
            assertThat(stream.lastId).as("the first frame positions the stream").isNotNull();
            return stream;
        }

        /** Reads frames until {@code count} events passing {@code keep} arrived; returns those. */
        List<JsonNode> read(int count, java.util.function.Predicate<JsonNode> keep) throws IOException {
            List<JsonNode> got = new ArrayList<>();
            while (got.size() < count) {
                JsonNode event = frame();
                if (event != null && keep.test(event)) {
                    got.add(event);
                }
            }
            return got;
        }

        /** One frame: its data as JSON, or {@code null} for a frame without data (position, keep-alive). */
        private JsonNode frame() throws IOException {
            StringBuilder data = null;
            String event = null;
            for (String line = reader.readLine(); ; line = reader.readLine()) {
                if (line == null) {
                    throw new IOException("the stream ended");
                }
                if (line.isEmpty()) {
                    break;
                }
                if (line.startsWith("id: ")) {
                    lastId = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = new StringBuilder(line.substring(6));
                }
            }
            if (data == null) {
                return null;
            }
            JsonNode node = Json.tree(data.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(event).isEqualTo(node.path("type").asText());
            return node;
        }

        @Override
        public void close() {
            if (deadline != null) {
                deadline.cancel(false);
            }
            try {
                body.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
