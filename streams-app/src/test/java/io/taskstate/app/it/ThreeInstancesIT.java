package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.Main;
import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.http.ApiServer;
import io.taskstate.app.testing.FreePorts;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Partitioning;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code taskstate serve} processes, each its own JVM, share the six partitions of one
 * application on the test broker, as a small deployment would (one standby copy of every
 * partition). Any instance answers any read the same way; a claim raced through different
 * instances has one winner; {@code kill -9} of one instance loses no acknowledged write, and the
 * survivors answer either correctly or 503 until they have taken its partitions over; the killed
 * instance, started again on its data directory, takes partitions back.
 *
 * <p>The processes are started once for the class. The tests run in order and build on each other:
 * the kill comes after the read and claim checks, the restart after the kill.
 */
@ExtendWith(KafkaBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeInstancesIT {
    private static final int PARTITIONS = 6;
    private static final int INSTANCES = 3;
    private static final Duration READY_DEADLINE = Duration.ofSeconds(120);
    private static final Duration READ_DEADLINE = Duration.ofSeconds(60);
    /** The dead member is noticed after Kafka's consumer session timeout (45 s by default), then its partitions move. */
    private static final Duration TAKEOVER_DEADLINE = Duration.ofSeconds(120);
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(30);
    private static final int TAKEOVER_WORKERS = 4;
    /** Bounded so that the restarted instance's state stays within Streams' acceptable recovery lag. */
    private static final int TAKEOVER_MAX_CREATES = 600;

    @TempDir
    static Path dir;

    private final String run = "r" + UUID.randomUUID().toString().substring(0, 8);
    private final ServerProcess[] servers = new ServerProcess[INSTANCES];
    private final Http[] http = new Http[INSTANCES];
    private final List<ServerProcess> launched = Collections.synchronizedList(new ArrayList<>());
    private int[] httpPorts;
    private String classpath;
    /** The latest acknowledged state of every task this class created, by id. */
    private final Map<Long, JsonNode> expected = new ConcurrentHashMap<>();

    /** Runs before the servers are stopped, while their logs are still there. */
    @RegisterExtension
    final AfterTestExecutionCallback printServerLogsOnFailure = context -> {
        if (context.getExecutionException().isPresent()) {
            List.copyOf(launched).forEach(ServerProcess::printLog);
        }
    };

    @BeforeAll
    void startThreeInstances() {
        classpath = stableClasspath(dir.resolve("classpath"));
        httpPorts = FreePorts.take(INSTANCES);
        long launching = System.nanoTime();
        for (int i = 0; i < INSTANCES; i++) {
            servers[i] = launch(i);
            http[i] = new Http("http://127.0.0.1:" + httpPorts[i]);
        }
        try {
            awaitEveryInstanceHoldsPartitions(List.of(0, 1, 2));
        } catch (RuntimeException | AssertionError e) {
            List.copyOf(launched).forEach(ServerProcess::printLog);
            throw e;
        }
        System.out.printf("ThreeInstancesIT: three instances ready and sharing %d partitions %d ms after launch: %s%n",
                PARTITIONS, millis(System.nanoTime() - launching), assignment(List.of(0, 1, 2)));
    }

    @AfterAll
    void stopEveryInstance() {
        List.copyOf(launched).forEach(ServerProcess::kill);
    }

    @Test
    @Order(1)
    void the_same_query_on_each_instance_returns_identical_results() {
        // Given 60 tasks of every priority, written through instance 1
        String[] priorities = {"low", "medium", "high", "critical"};
        for (int n = 0; n < 60; n++) {
            JsonNode task = create(http[0], "{\"title\":\"same query " + n + "\",\"priority\":\"" + priorities[n % 4]
                    + "\",\"description\":\"written through instance 1\",\"metadata\":{\"n\":" + n + ",\"team\":\"t" + n % 3
                    + "\",\"tags\":[\"a\",\"b\"]}}");
            expected.put(id(task), task);
        }
        List<Long> newestFirst = newestFirst(expected.values(), t -> true);
        List<Long> highNewestFirst = newestFirst(expected.values(), t -> t.get("priority").asText().equals("high"));
        List<Long> title1Pending = newestFirst(expected.values(),
                t -> t.get("title").asText().contains("query 1") && t.get("status").asText().equals("pending"));

        // When each instance answers the same queries
        Map<String, List<JsonNode>> answers = new LinkedHashMap<>();
        for (String query : List.of("/api/v1/tasks?limit=1000", "/api/v1/tasks?priority=high&limit=1000",
                "/api/v1/tasks?title_contains=QUERY%201&status=pending&limit=1000")) {
            for (Http instance : http) {
                answers.computeIfAbsent(query, q -> new ArrayList<>()).add(read(instance, query));
            }
        }

        // Then the answers are identical, byte for byte, in the documented order, complete
        answers.forEach((query, bodies) -> assertThat(bodies).as(query).allSatisfy(b -> assertThat(b).isEqualTo(bodies.get(0))));
        assertThat(ids(answers.get("/api/v1/tasks?limit=1000").get(0))).containsExactlyElementsOf(newestFirst);
        assertThat(ids(answers.get("/api/v1/tasks?priority=high&limit=1000").get(0))).containsExactlyElementsOf(highNewestFirst);
        assertThat(ids(answers.get("/api/v1/tasks?title_contains=QUERY%201&status=pending&limit=1000").get(0)))
                .containsExactlyElementsOf(title1Pending);
        assertThat(answers.get("/api/v1/tasks?limit=1000").get(0).get("tasks")).allSatisfy(t -> assertThat(t).isEqualTo(expected.get(id(t))));
        // and a cursor from one instance continues the same listing on the next
        List<Long> paged = new ArrayList<>();
        String cursor = null;
        int page = 0;
        do {
            JsonNode body = read(http[page++ % INSTANCES], "/api/v1/tasks?limit=7" + (cursor == null ? "" : "&cursor=" + cursor));
            paged.addAll(ids(body));
            cursor = body.get("next_cursor").isNull() ? null : body.get("next_cursor").asText();
        } while (cursor != null);
        assertThat(paged).containsExactlyElementsOf(newestFirst);
        // and every instance answers a key lookup of every task, forwarding to the owner when it is not
        for (Http instance : http) {
            for (long id : expected.keySet()) {
                assertThat(read(instance, "/api/v1/tasks/" + id)).as("task %d via %s", id, instance).isEqualTo(expected.get(id));
            }
        }
    }

    @Test
    @Order(2)
    void a_claim_race_across_instances_has_one_winner_per_task() throws Exception {
        ExecutorService racers = Executors.newFixedThreadPool(INSTANCES);
        try {
            // Given 100 pending tasks, written through all three instances at once
            List<Future<List<JsonNode>>> writers = new ArrayList<>();
            for (int r = 0; r < INSTANCES; r++) {
                Http instance = http[r];
                int first = r;
                writers.add(racers.submit(() -> IntStream.iterate(first, n -> n < 100, n -> n + INSTANCES)
                        .mapToObj(n -> create(instance, "{\"title\":\"race " + n + "\",\"priority\":\"high\"}")).toList()));
            }
            List<Long> ids = new ArrayList<>();
            for (Future<List<JsonNode>> written : writers) {
                for (JsonNode task : written.get(READ_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                    expected.put(id(task), task);
                    ids.add(id(task));
                }
            }
            Collections.sort(ids);

            // When three racers, each talking to a different instance, claim every one of them at the same moment
            CyclicBarrier start = new CyclicBarrier(INSTANCES);
            List<Future<Map<Long, Http.Response>>> outcomes = new ArrayList<>();
            long racing = System.nanoTime();
            for (int r = 0; r < INSTANCES; r++) {
                Http instance = http[r];
                String racer = "racer-" + (r + 1);
                outcomes.add(racers.submit(() -> {
                    Map<Long, Http.Response> mine = new LinkedHashMap<>();
                    start.await(30, TimeUnit.SECONDS);
                    for (long id : ids) {
                        mine.put(id, instance.post("/api/v1/tasks/" + id + "/claim", "{\"assignee\":\"" + racer + "\"}"));
                    }
                    return mine;
                }));
            }
            List<Map<Long, Http.Response>> answers = new ArrayList<>();
            for (Future<Map<Long, Http.Response>> outcome : outcomes) {
                answers.add(outcome.get(READ_DEADLINE.toSeconds(), TimeUnit.SECONDS));
            }
            long raced = System.nanoTime();

            // Then every task has exactly one winner; the others get 409 naming the holder
            Map<String, Integer> wins = new TreeMap<>();
            for (long id : ids) {
                List<Integer> statuses = answers.stream().map(a -> a.get(id).status()).toList();
                assertThat(statuses).as("claims of task %d: %s", id, answers.stream().map(a -> a.get(id).body()).toList())
                        .containsExactlyInAnyOrder(200, 409, 409);
                JsonNode won = answers.stream().map(a -> a.get(id)).filter(a -> a.status() == 200).findFirst().orElseThrow().body();
                String winner = won.get("assignee").asText();
                wins.merge(winner, 1, Integer::sum);
                assertThat(won.get("status").asText()).isEqualTo("in_progress");
                answers.stream().map(a -> a.get(id)).filter(a -> a.status() == 409)
                        .forEach(lost -> assertThat(lost.body().get("detail").asText()).contains("held by " + winner));
                // and the instances show the winner's claim
                Http instance = http[(int) (id % INSTANCES)];
                assertThat(read(instance, "/api/v1/tasks/" + id)).as("task %d via %s", id, instance).isEqualTo(won);
                expected.put(id, won);
            }
            System.out.printf("ThreeInstancesIT: claim race of 3 x %d claims through 3 instances took %d ms; wins %s%n",
                    ids.size(), millis(raced - racing), wins);
        } finally {
            racers.shutdownNow();
        }
    }

    @Test
    @Order(3)
    void killing_an_instance_loses_no_acknowledged_write_and_service_resumes() throws Exception {
        // Given creates, key reads, stale reads and listings running against instances 1 and 2
        Set<Integer> lost = partitionsOf(2);
        assertThat(lost).as("partitions of instance 3").isNotEmpty();
        Takeover load = new Takeover(lost);
        ExecutorService workers = Executors.newFixedThreadPool(TAKEOVER_WORKERS);
        List<Future<?>> running = new ArrayList<>();
        boolean resumed = false;
        try {
            for (int w = 0; w < TAKEOVER_WORKERS; w++) {
                int worker = w;
                running.add(workers.submit(() -> load.work(worker)));
            }
            await("40 creates acknowledged before the kill").atMost(READ_DEADLINE).until(() -> load.acks().size() >= 40);

            // When instance 3, which owns partitions `lost`, is killed with SIGKILL
            load.lastBeforeKill = load.acks().stream().filter(ack -> lost.contains(partition(ack.id())))
                    .sorted(Comparator.comparingLong(Ack::ackedAt).reversed()).limit(5).toList();
            load.killedAtWall = LocalTime.now();
            load.killedAt = System.nanoTime();
            servers[2].killForcibly();
            load.goneAt = System.nanoTime();

            // Then the survivors take its partitions over: creates, key reads and listings on those partitions succeed again
            await("instances 1 and 2 serve partitions " + lost + " of the killed instance").atMost(TAKEOVER_DEADLINE)
                    .pollInterval(Duration.ofMillis(200)).until(load::resumed);
            long resumedAt = System.nanoTime();
            int acksAtResume = load.acks().size();
            await("the load goes on after the takeover").atMost(READ_DEADLINE)
                    .until(() -> (load.acks().size() >= acksAtResume + 30 || load.createsLeft.get() <= 0) && load.listsAfter(resumedAt) >= 4);
            resumed = true;
        } finally {
            load.stop = true;
            workers.shutdown();
            for (Future<?> worker : running) {
                worker.get(60, TimeUnit.SECONDS);
            }
            if (!resumed && load.killedAt != Long.MAX_VALUE) {
                load.report(System.nanoTime(), false);
            }
        }
        // and every acknowledged create is readable, as acknowledged, from both survivors
        List<Ack> acks = load.acks();
        int listed = 0;
        for (int survivor : List.of(0, 1)) {
            Set<Long> confirmed = new HashSet<>();
            await("all " + acks.size() + " acknowledged tasks readable from instance " + (survivor + 1)).atMost(READ_DEADLINE)
                    .pollInterval(Duration.ofMillis(200)).ignoreException(UncheckedIOException.class).until(() -> {
                        for (Ack ack : acks) {
                            if (!confirmed.contains(ack.id())) {
                                Http.Response r = http[survivor].get("/api/v1/tasks/" + ack.id());
                                if (r.status() == 200) {
                                    assertThat(r.body()).as("task %d from instance %d", ack.id(), survivor + 1).isEqualTo(ack.task());
                                    confirmed.add(ack.id());
                                } else if (r.status() != 503) {
                                    load.violation("final GET " + ack.id() + " via instance " + (survivor + 1) + ": " + r.status() + " " + r.body());
                                    return true;
                                }
                            }
                        }
                        return confirmed.size() == acks.size();
                    });
            List<Long> listing = ids(readAll(http[survivor], "/api/v1/tasks?title_contains=" + load.marker + "&limit=1000"));
            assertThat(listing).as("the listing on instance %d", survivor + 1).doesNotHaveDuplicates()
                    .containsAll(acks.stream().map(Ack::id).toList());
            listed = listing.size();
        }
        long allReadableAt = System.nanoTime();
        acks.forEach(ack -> expected.put(ack.id(), ack.task()));
        load.report(allReadableAt, true);
        System.out.printf("ThreeInstancesIT:   %d tasks exist beyond the %d acknowledged: creates answered 504, applied once their "
                + "partition had moved%n", listed - acks.size(), acks.size());

        assertThat(load.violations).as("wrong answers while instance 3 was killed and taken over").isEmpty();
    }

    @Test
    @Order(4)
    void a_restarted_instance_rejoins() {
        // Given instance 3 is gone (the previous test killed it)
        servers[2].kill();

        // When it is started again on the same data directory and port
        long restarting = System.nanoTime();
        servers[2] = launch(2);
        await("instance 3 ready again").atMost(READY_DEADLINE).pollInterval(Duration.ofMillis(100))
                .ignoreException(UncheckedIOException.class)
                .until(() -> {
                    servers[2].requireAlive();
                    return http[2].get("/health/ready").status() == 200;
                });
        long readyAt = System.nanoTime();

        // Then after a rebalance it holds partitions again, and answers every task as the others do
        awaitEveryInstanceHoldsPartitions(List.of(0, 1, 2));
        long holdingAt = System.nanoTime();
        System.out.printf("ThreeInstancesIT: restarted instance 3 ready %d ms after launch, holding partitions again after %d ms: %s%n",
                millis(readyAt - restarting), millis(holdingAt - restarting), assignment(List.of(0, 1, 2)));
        for (Map.Entry<Long, JsonNode> task : new TreeMap<>(expected).entrySet()) {
            assertThat(read(http[2], "/api/v1/tasks/" + task.getKey())).as("task %d via instance 3", task.getKey())
                    .isEqualTo(task.getValue());
        }
        assertThat(ids(readAll(http[2], "/api/v1/tasks?limit=1000"))).as("the listing on instance 3")
                .doesNotHaveDuplicates().containsAll(expected.keySet());
        System.out.printf("ThreeInstancesIT: restarted instance 3 answered all %d tasks %d ms after launch%n",
                expected.size(), millis(System.nanoTime() - restarting));
    }

    // ---- the load while instance 3 is killed

    /** An acknowledged create: the task as the 201 answered it, and when the answer arrived. */
    private record Ack(long id, JsonNode task, long ackedAt) {
    }

    /** One request of the load: what, to which instance, when sent (nanoTime), what it answered. */
    private record Event(String op, int instance, long sentAt, int status, boolean onLostPartition, String stale) {
    }

    /**
     * Creates, key reads, stale key reads and listings from several threads against instances 1
     * and 2, checking every answer as it comes: a 200 must be right and a listing complete; a
     * 503 must carry Retry-After; anything else is a violation.
     */
    private final class Takeover {
        final String marker = "takeover-" + run;
        final Set<Integer> lost;
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
        final AtomicInteger createsLeft = new AtomicInteger(TAKEOVER_MAX_CREATES);
        private final List<Ack> acks = new ArrayList<>();
        private final Map<Long, Ack> ackById = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> stale404 = new ConcurrentLinkedQueue<>();
        volatile long killedAt = Long.MAX_VALUE;
        volatile LocalTime killedAtWall;
        volatile long goneAt;
        /** The last creates acknowledged on the killed instance's partitions: their transaction may not have committed. */
        volatile List<Ack> lastBeforeKill = List.of();
        volatile boolean stop;

        Takeover(Set<Integer> lost) {
            this.lost = lost;
        }

        List<Ack> acks() {
            synchronized (acks) {
                return List.copyOf(acks);
            }
        }

        void violation(String what) {
            long now = System.nanoTime();
            violations.add((now > killedAt ? "+" + sinceKill(now) + " ms after the kill: " : "before the kill: ") + what);
        }

        void work(int worker) {
            int survivor = worker % 2;
            Http target = http[survivor];
            Random random = new Random(worker);
            for (int n = 0; !stop; n++) {
                try {
                    if (createsLeft.getAndDecrement() > 0) {
                        create(survivor, target, "{\"title\":\"" + marker + " w" + worker + " n" + n + "\",\"metadata\":{\"worker\":"
                                + worker + ",\"n\":" + n + "}}");
                    }
                    randomAck(random).ifPresent(ack -> get(survivor, target, ack));
                    if (n % 4 == worker % 4) {
                        list(survivor, target);
                    }
                    if (System.nanoTime() > killedAt) {
                        randomAck(random).ifPresent(ack -> staleGet(survivor, target, ack));
                        List<Ack> last = lastBeforeKill;
                        if (!last.isEmpty()) {
                            get(survivor, target, last.get(random.nextInt(last.size())));
                        }
                    }
                } catch (RuntimeException e) {
                    violation("worker " + worker + " on instance " + (survivor + 1) + " failed: " + e);
                }
            }
        }

        private Optional<Ack> randomAck(Random random) {
            synchronized (acks) {
                return acks.isEmpty() ? Optional.empty() : Optional.of(acks.get(random.nextInt(acks.size())));
            }
        }

        private void create(int survivor, Http target, String json) {
            long sent = System.nanoTime();
            Http.Response r = target.post("/api/v1/tasks", json);
            if (r.status() == 201) {
                Ack ack = new Ack(id(r.body()), r.body(), System.nanoTime());
                synchronized (acks) {
                    acks.add(ack);
                }
                ackById.put(ack.id(), ack);
                events.add(new Event("create", survivor, sent, 201, lost.contains(partition(ack.id())), null));
            } else {
                // 504: no reply in time (the partition's owner is gone); the create may still be applied later
                events.add(new Event("create", survivor, sent, r.status(), false, null));
                if (r.status() != 504 && !retryLater(r)) {
                    violation("POST via instance " + (survivor + 1) + ": " + r.status() + " " + r.body());
                }
            }
        }

        private void get(int survivor, Http target, Ack ack) {
            long sent = System.nanoTime();
            Http.Response r = target.get("/api/v1/tasks/" + ack.id());
            events.add(new Event("get", survivor, sent, r.status(), lost.contains(partition(ack.id())), null));
            if (r.status() == 200) {
                if (!ack.task().equals(r.body())) {
                    violation("GET " + ack.id() + " via instance " + (survivor + 1) + " answered " + r.body() + ", acknowledged " + ack.task());
                }
            } else if (!retryLater(r)) {
                violation("GET " + ack.id() + " (partition " + partition(ack.id()) + ") via instance " + (survivor + 1) + ": "
                        + r.status() + " " + r.body());
            }
        }

        private void staleGet(int survivor, Http target, Ack ack) {
            long sent = System.nanoTime();
            Http.Response r = target.get("/api/v1/tasks/" + ack.id() + "?allow_stale=true");
            String stale = r.header(ApiServer.STALE_HEADER) == null ? null
                    : r.header(ApiServer.STALE_HEADER) + " lag " + r.header(ApiServer.STALE_LAG_HEADER);
            events.add(new Event("stale", survivor, sent, r.status(), lost.contains(partition(ack.id())), stale));
            if (r.status() == 200 && !ack.task().equals(r.body())) {
                violation("GET " + ack.id() + "?allow_stale=true via instance " + (survivor + 1) + " answered " + r.body()
                        + " (" + stale + "), acknowledged " + ack.task());
            } else if (r.status() == 404) {
                stale404.add("task " + ack.id() + " (partition " + partition(ack.id()) + ", acknowledged "
                        + millis(sent - ack.ackedAt()) + " ms before) via instance " + (survivor + 1) + " sent +" + sinceKill(sent)
                        + " ms" + (stale == null ? "" : ", " + ApiServer.STALE_HEADER + ": " + stale));
            } else if (r.status() != 200 && !retryLater(r)) {
                violation("GET " + ack.id() + "?allow_stale=true via instance " + (survivor + 1) + ": " + r.status() + " " + r.body());
            }
        }

        /** All pages of the listing of this load's tasks; complete means: every create acknowledged before it was sent. */
        private void list(int survivor, Http target) {
            List<Ack> before = acks();
            long sent = System.nanoTime();
            List<JsonNode> found = new ArrayList<>();
            String cursor = null;
            do {
                Http.Response r = target.get("/api/v1/tasks?title_contains=" + marker + "&limit=1000" + (cursor == null ? "" : "&cursor=" + cursor));
                if (r.status() != 200) {
                    events.add(new Event("list", survivor, sent, r.status(), true, null));
                    if (!retryLater(r)) {
                        violation("list via instance " + (survivor + 1) + ": " + r.status() + " " + r.body());
                    }
                    return;
                }
                r.body().get("tasks").forEach(found::add);
                cursor = r.body().get("next_cursor").isNull() ? null : r.body().get("next_cursor").asText();
            } while (cursor != null);
            events.add(new Event("list", survivor, sent, 200, true, null));
            Set<Long> ids = new HashSet<>();
            for (JsonNode task : found) {
                if (!ids.add(id(task))) {
                    violation("list via instance " + (survivor + 1) + " has task " + id(task) + " twice");
                }
                Ack ack = ackById.get(id(task));
                if (ack != null && !ack.task().equals(task)) {
                    violation("list via instance " + (survivor + 1) + " has " + task + ", acknowledged " + ack.task());
                }
            }
            List<Long> missing = before.stream().map(Ack::id).filter(id -> !ids.contains(id)).toList();
            if (!missing.isEmpty()) {
                violation("list via instance " + (survivor + 1) + " sent +" + sinceKill(sent) + " ms after the kill lacks "
                        + missing.size() + " tasks acknowledged before it was sent, e.g. " + missing.stream().limit(10).toList()
                        + " (partitions " + missing.stream().map(ThreeInstancesIT::partition).distinct().sorted().toList() + ")");
            }
        }

        /** A 503 is a fair answer during the takeover, with Retry-After. */
        private boolean retryLater(Http.Response r) {
            if (r.status() != 503) {
                return false;
            }
            if (r.header("Retry-After") == null) {
                violation("503 without Retry-After: " + r.body());
            }
            return true;
        }

        /** Both survivors have answered, for requests sent after the kill, on the killed instance's partitions. */
        boolean resumed() {
            boolean created = false;
            boolean[] got = new boolean[2];
            boolean[] listed = new boolean[2];
            for (Event e : events) {
                if (e.sentAt() > killedAt && e.status() / 100 == 2 && e.onLostPartition()) {
                    switch (e.op()) {
                        case "create" -> created = true;
                        case "get" -> got[e.instance()] = true;
                        case "list" -> listed[e.instance()] = true;
                        default -> { }
                    }
                }
            }
            return created && got[0] && got[1] && listed[0] && listed[1];
        }

        long listsAfter(long nanos) {
            return events.stream().filter(e -> e.op().equals("list") && e.status() == 200 && e.sentAt() > nanos).count();
        }

        long sinceKill(long nanos) {
            return millis(nanos - killedAt);
        }

        /**
         * Prints, per kind of request, when after the kill it failed and when it succeeded again;
         * {@code until} is when every acknowledged task was readable, or when the test gave up.
         */
        void report(long until, boolean allReadable) {
            List<Event> after = events.stream().filter(e -> e.sentAt() > killedAt).sorted(Comparator.comparingLong(Event::sentAt)).toList();
            System.out.printf("ThreeInstancesIT: killed instance 3 (partitions %s; the JVM was gone %d ms after SIGKILL); "
                    + "%d creates acknowledged, %d requests sent after the kill%n", lost, sinceKill(goneAt), acks().size(), after.size());
            System.out.printf("ThreeInstancesIT:   last creates acknowledged on its partitions before the kill (read again and again "
                    + "during the takeover): %s%n", lastBeforeKill.stream().map(a -> a.id() + " (" + millis(killedAt - a.ackedAt()) + " ms before)").toList());
            long windowStart = Long.MAX_VALUE;
            long windowEnd = Long.MIN_VALUE;
            for (String op : List.of("create", "get", "list", "stale")) {
                List<Event> mine = after.stream().filter(e -> e.op().equals(op)).toList();
                Map<Integer, Long> byStatus = new TreeMap<>();
                mine.forEach(e -> byStatus.merge(e.status(), 1L, Long::sum));
                Optional<Event> firstFailure = mine.stream().filter(e -> e.status() / 100 != 2 && e.status() != 404).findFirst();
                Optional<Event> lastFailure = mine.stream().filter(e -> e.status() / 100 != 2 && e.status() != 404)
                        .reduce((a, b) -> b);
                Optional<Event> backAfter = lastFailure.flatMap(last -> mine.stream()
                        .filter(e -> e.sentAt() > last.sentAt() && e.status() / 100 == 2 && (op.equals("create") || e.onLostPartition()))
                        .findFirst());
                System.out.printf("ThreeInstancesIT:   %-6s answers after the kill %s; first failure sent +%s ms, last failure sent +%s ms, "
                                + "first success on the lost partitions after it sent +%s ms%n", op, byStatus,
                        firstFailure.map(e -> Long.toString(sinceKill(e.sentAt()))).orElse("-"),
                        lastFailure.map(e -> Long.toString(sinceKill(e.sentAt()))).orElse("-"),
                        backAfter.map(e -> Long.toString(sinceKill(e.sentAt()))).orElse("-"));
                if ((op.equals("get") || op.equals("list")) && firstFailure.isPresent()) {
                    windowStart = Math.min(windowStart, firstFailure.get().sentAt());
                    windowEnd = Math.max(windowEnd, backAfter.map(Event::sentAt).orElse(until));
                }
            }
            List<Event> stale = after.stream().filter(e -> e.op().equals("stale")).toList();
            long staleOk = stale.stream().filter(e -> e.status() == 200 && e.stale() != null).count();
            long staleOkOnLost = stale.stream().filter(e -> e.status() == 200 && e.stale() != null && e.onLostPartition()).count();
            long notFound = stale.stream().filter(e -> e.status() == 404).count();
            long notFoundUnmarked = stale.stream().filter(e -> e.status() == 404 && e.stale() == null).count();
            System.out.printf("ThreeInstancesIT:   allow_stale=true: %d of %d answered 200 with %s (%d of them on the lost partitions), "
                            + "headers seen %s; %d answered 404 for an acknowledged task (%d of them without %s)%n", staleOk, stale.size(),
                    ApiServer.STALE_HEADER, staleOkOnLost, stale.stream().map(Event::stale).filter(Objects::nonNull).distinct().limit(8).toList(),
                    notFound, notFoundUnmarked, ApiServer.STALE_HEADER);
            stale404.stream().limit(5).forEach(v -> System.out.println("ThreeInstancesIT:   allow_stale=true answered 404 for " + v));
            for (int survivor : List.of(0, 1)) {
                System.out.printf("ThreeInstancesIT:   instance %d after the kill: %s%n", survivor + 1,
                        servers[survivor].stateChangesSince(killedAtWall));
            }
            if (windowStart != Long.MAX_VALUE) {
                System.out.printf("ThreeInstancesIT: unavailability window: first failed read sent +%d ms after the kill, service back "
                                + "(first success after the last failure) +%d ms: %d ms%n",
                        sinceKill(windowStart), sinceKill(windowEnd), millis(windowEnd - windowStart));
            } else {
                System.out.println("ThreeInstancesIT: unavailability window: no read failed after the kill");
            }
            System.out.printf(allReadable ? "ThreeInstancesIT: kill -> every acknowledged task readable from both survivors: %d ms; %d wrong answers%n"
                    : "ThreeInstancesIT: the takeover had not finished %d ms after the kill; %d wrong answers%n", sinceKill(until), violations.size());
            violations.stream().limit(20).forEach(v -> System.out.println("ThreeInstancesIT:   wrong answer " + v));
        }
    }

    // ---- the instances

    private ServerProcess launch(int instance) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(TaskStateConfig.BOOTSTRAP, KafkaBroker.bootstrapServers());
        settings.put(TaskStateConfig.TOPIC_PREFIX, run + ".");
        settings.put(TaskStateConfig.APPLICATION_ID, run);
        settings.put(TaskStateConfig.DATA_DIR, dir.resolve("instance-" + (instance + 1)).toString());
        settings.put(TaskStateConfig.HTTP_PORT, Integer.toString(httpPorts[instance]));
        settings.put(TaskStateConfig.PARTITIONS, Integer.toString(PARTITIONS));
        settings.put(TaskStateConfig.STANDBY_REPLICAS, "1");
        settings.put(TaskStateConfig.REPLICATION_FACTOR, "1");
        // The racers' claims create instances that never heartbeat; they must not expire during the run.
        settings.put(TaskStateConfig.INSTANCE_TIMEOUT, "PT1H");
        ServerProcess server = ServerProcess.start(classpath, dir.resolve("classpath").resolve("logback.xml"), settings,
                dir.resolve("instance-" + (instance + 1) + "-launch-" + (launched.size() + 1) + ".log"));
        launched.add(server);
        return server;
    }

    /** Each of {@code instances} is ready and holds some partitions, and together they hold each partition once. */
    private void awaitEveryInstanceHoldsPartitions(List<Integer> instances) {
        await("instances " + instances + " ready, each holding partitions").atMost(READY_DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreException(UncheckedIOException.class).until(() -> {
                    for (int i : instances) {
                        servers[i].requireAlive();
                        if (http[i].get("/health/ready").status() != 200) {
                            return false;
                        }
                    }
                    Map<Integer, Set<Integer>> held = assignment(instances);
                    List<Integer> all = held.values().stream().flatMap(Set::stream).sorted().toList();
                    return held.values().stream().noneMatch(Set::isEmpty)
                            && all.equals(IntStream.range(0, PARTITIONS).boxed().toList());
                });
    }

    /** The partitions each instance reads its active stores of, as its fan-out endpoint reports them. */
    private Map<Integer, Set<Integer>> assignment(List<Integer> instances) {
        Map<Integer, Set<Integer>> held = new TreeMap<>();
        for (int i : instances) {
            held.put(i + 1, partitionsOf(i));
        }
        return held;
    }

    private Set<Integer> partitionsOf(int instance) {
        Http.Response r = http[instance].get("/internal/v1/tasks?limit=1");
        Set<Integer> partitions = new TreeSet<>();
        if (r.status() == 200) {
            r.body().get("partitions").forEach(p -> partitions.add(p.asInt()));
        }
        return partitions;
    }

    /** A separate JVM running {@code taskstate serve} with the test classpath; its stdout and stderr go to a file. */
    private static final class ServerProcess {
        final Process process;
        final Path logFile;

        private ServerProcess(Process process, Path logFile) {
            this.process = process;
            this.logFile = logFile;
        }

        static ServerProcess start(String classpath, Path logback, Map<String, String> settings, Path logFile) {
            // The test classpath holds logback-test.xml (root at WARN); the server logs as shipped.
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classpath,
                    "-Dlogback.configurationFile=" + logback,
                    Main.class.getName(), "serve"));
            settings.forEach((name, value) -> command.addAll(List.of("--set", name + "=" + value)));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            // Main reads every TASKSTATE_* and KAFKA_* variable; only the flags above may configure it.
            builder.environment().keySet().removeIf(name -> name.startsWith("TASKSTATE_") || name.startsWith("KAFKA_"));
            try {
                return new ServerProcess(builder.start(), logFile);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot launch " + command, e);
            }
        }

        void requireAlive() {
            if (!process.isAlive()) {
                throw new IllegalStateException("taskstate (" + logFile.getFileName() + ") exited with code " + process.exitValue());
            }
        }

        /** SIGKILL, and wait until the process is gone. */
        void killForcibly() {
            process.destroyForcibly();
            try {
                if (!process.waitFor(EXIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("taskstate (pid " + process.pid() + ") survived SIGKILL for " + EXIT_DEADLINE);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for taskstate to exit", e);
            }
        }

        void kill() {
            if (process.isAlive()) {
                killForcibly();
            }
        }

        /** The Kafka Streams state changes logged since {@code since}, each as milliseconds after it. */
        List<String> stateChangesSince(LocalTime since) {
            String marker = "TaskStateServer - Kafka Streams ";
            try {
                return Files.readAllLines(logFile, StandardCharsets.UTF_8).stream()
                        .filter(line -> line.contains(marker) && line.length() > 12)
                        .map(line -> Map.entry(LocalTime.parse(line.substring(0, 12)), line.substring(line.indexOf(marker) + marker.length())))
                        .filter(change -> !change.getKey().isBefore(since))
                        .map(change -> "+" + Duration.between(since, change.getKey()).toMillis() + " ms " + change.getValue())
                        .toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void printLog() {
            try {
                System.out.println("----- " + logFile.getFileName() + " (pid " + process.pid() + ") -----");
                System.out.println(Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ---- HTTP

    private static JsonNode create(Http instance, String json) {
        Http.Response created = instance.post("/api/v1/tasks", json);
        assertThat(created.status()).as("POST %s: %s", json, created.body()).isEqualTo(201);
        return created.body();
    }

    /** GET, waiting out a 503 (a rebalance), which must carry Retry-After; then it must be 200. */
    private static JsonNode read(Http instance, String path) {
        Http.Response response = await("GET " + path).atMost(READ_DEADLINE).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).ignoreException(UncheckedIOException.class)
                .until(() -> instance.get(path), r -> r.status() != 503 || r.header("Retry-After") == null);
        assertThat(response.status()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return response.body();
    }

    /** Every page of a listing, concatenated. */
    private static JsonNode readAll(Http instance, String path) {
        ArrayNode tasks = Json.MAPPER.createArrayNode();
        String cursor = null;
        do {
            JsonNode page = read(instance, path + (cursor == null ? "" : "&cursor=" + cursor));
            tasks.addAll((ArrayNode) page.get("tasks"));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        ObjectNode all = Json.object();
        all.set("tasks", tasks);
        return all;
    }

    /** The ids of a listing's tasks, in its order. */
    private static List<Long> ids(JsonNode listing) {
        return StreamSupport.stream(listing.get("tasks").spliterator(), false).map(ThreeInstancesIT::id).toList();
    }

    /** The documented order: newest first, ties broken by the larger id. */
    private static List<Long> newestFirst(Collection<JsonNode> tasks, Predicate<JsonNode> filter) {
        return tasks.stream().filter(filter)
                .sorted(Comparator.comparing((JsonNode t) -> Instant.parse(t.get("created_at").asText())).reversed()
                        .thenComparing(Comparator.comparingLong(ThreeInstancesIT::id).reversed()))
                .map(ThreeInstancesIT::id).toList();
    }

    private static long id(JsonNode task) {
        return task.get("id").asLong();
    }

    private static int partition(long id) {
        return Partitioning.partitionOfTask(id, PARTITIONS);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /**
     * The test classpath with its directories ({@code target/classes}, {@code target/test-classes})
     * copied under {@code into}, and the shipped logback.xml beside them: a build running in the same
     * tree while the servers run rewrites those directories, and a class loaded late then goes missing.
     */
    private static String stableClasspath(Path into) {
        try (InputStream logback = Objects.requireNonNull(Main.class.getResourceAsStream("/logback.xml"), "logback.xml of streams-app")) {
            Files.createDirectories(into);
            Files.copy(logback, into.resolve("logback.xml"));
            List<String> entries = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path source = Path.of(entry);
                if (!Files.isDirectory(source)) {
                    entries.add(entry);
                    continue;
                }
                Path copy = into.resolve(Integer.toString(entries.size()));
                try (Stream<Path> files = Files.walk(source)) {
                    for (Path file : (Iterable<Path>) files::iterator) {
                        Path target = copy.resolve(source.relativize(file).toString());
                        if (Files.isDirectory(file)) {
                            Files.createDirectories(target);
                        } else {
                            Files.copy(file, target);
                        }
                    }
                }
                entries.add(copy.toString());
            }
            return String.join(File.pathSeparator, entries);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot copy the test classpath to " + into, e);
        }
    }
}
