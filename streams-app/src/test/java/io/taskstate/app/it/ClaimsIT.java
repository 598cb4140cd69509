package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.NewTask;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** No task is ever worked twice: concurrent workers, in this JVM and in others, on a real broker. */
@ExtendWith(KafkaBroker.class)
class ClaimsIT {
    private static final int TASKS = 10_000;
    private static RunningApp app;
    private static TaskStateClient client;

    @BeforeAll
    static void start() {
        app = RunningApp.start(6);
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
    void sixteen_workers_in_three_processes_complete_ten_thousand_tasks_exactly_once_best_first(@TempDir Path dir)
            throws Exception {
        // Given 10,000 pending tasks of mixed priorities
        String tag = "drain-" + UUID.randomUUID().toString().substring(0, 8);
        Priority[] priorities = Priority.values();
        List<CompletableFuture<Task>> creates = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            creates.add(client.createTaskAsync(NewTask.titled(tag + " " + i).priority(priorities[i % priorities.length])));
            if (creates.size() % 500 == 0) {
                CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).join();
            }
        }
        Set<Long> ids = new HashSet<>();
        creates.forEach(f -> ids.add(f.join().id()));

        // When 8 workers in this JVM and 4 in each of two other JVMs drain the queue
        List<Process> processes = new ArrayList<>();
        for (String name : List.of("proc-a", "proc-b")) {
            processes.add(new ProcessBuilder(javaBin(), "-cp", System.getProperty("java.class.path"),
                    ClaimWorkers.class.getName(), app.server().bootstrapServers(), app.baseUrl(), app.topicPrefix(),
                    name, "4", tag, dir.resolve(name + ".claims").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start());
        }
        List<String> claims = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> local = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String worker = "local-" + i;
                local.add(pool.submit(() -> ClaimWorkers.drain(client, worker, tag)));
            }
            for (Future<List<String>> f : local) {
                claims.addAll(f.get(10, TimeUnit.MINUTES));
            }
            for (Process p : processes) {
                assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("worker process finished").isTrue();
                assertThat(p.exitValue()).as("worker process exit code").isZero();
            }
        } finally {
            pool.shutdownNow();
            processes.forEach(Process::destroyForcibly);
        }
        for (String name : List.of("proc-a", "proc-b")) {
            claims.addAll(Files.readAllLines(dir.resolve(name + ".claims")));
        }

        // Then every task was claimed exactly once, by processes in every JVM, and completed by its claimer
        List<Long> claimedIds = claims.stream().map(c -> Long.parseLong(c.split(" ")[1])).toList();
        assertThat(claimedIds).hasSize(TASKS).doesNotHaveDuplicates();
        assertThat(new HashSet<>(claimedIds)).isEqualTo(ids);
        assertThat(claims).anyMatch(c -> c.startsWith("proc-a")).anyMatch(c -> c.startsWith("proc-b"))
                .anyMatch(c -> c.startsWith("local"));
        Map<Long, String> claimer = new HashMap<>();
        claims.forEach(c -> claimer.put(Long.parseLong(c.split(" ")[1]), c.split(" ")[0]));
        List<Task> done = client.queryTasks(TaskQuery.all().titleContains(tag).status(TaskStatus.COMPLETED).pageSize(1000)).toList();
        assertThat(done).hasSize(TASKS).allSatisfy(t ->
                assertThat(t.metadata().path("completed_by").asText()).isEqualTo(claimer.get(t.id())));
        // and the stores agree with each other
        Http.Response check = new Http(app.baseUrl()).get("/api/v1/admin/check");
        assertThat(check.body().get("problems")).isEmpty();
        assertThat(check.body().get("consistent").asBoolean()).isTrue();
        // and each worker took tasks best first: once it got a lower priority, it never got a higher one again
        Map<String, Integer> lowestSoFar = new HashMap<>();
        for (String c : claims) {
            String[] parts = c.split(" ");
            int rank = Priority.valueOf(parts[2].toUpperCase()).ordinal();
            Integer lowest = lowestSoFar.get(parts[0]);
            assertThat(lowest == null || rank <= lowest).as("claim order of %s: %s", parts[0], c).isTrue();
            lowestSoFar.put(parts[0], rank);
        }
    }

    @Test
    void claim_next_filtered_to_a_priority_takes_exactly_that_prioritys_tasks_oldest_first() {
        // Given: pending tasks of every priority, interleaved, on all six partitions
        String tag = "prio-" + UUID.randomUUID().toString().substring(0, 8);
        Priority[] priorities = Priority.values();
        Map<Priority, List<Long>> byPriority = new HashMap<>();
        for (int i = 0; i < 48; i++) {
            Priority p = priorities[(i * 3) % priorities.length];
            Task t = client.createTask(NewTask.titled(tag + " " + i).priority(p));
            byPriority.computeIfAbsent(p, x -> new ArrayList<>()).add(t.id());
        }

        for (Priority p : priorities) {
            // When: a worker drains one priority
            ClaimFilter filter = ClaimFilter.ANY.titleContains(tag).priority(p);
            List<Long> claimed = new ArrayList<>();
            Optional<Task> next = client.claimNext("prio-worker", filter);
            while (next.isPresent()) {
                assertThat(next.get().priority()).isEqualTo(p);
                claimed.add(next.get().id());
                next = client.claimNext("prio-worker", filter);
            }

            // Then: every task of that priority, in the order they were created, and nothing else
            assertThat(claimed).as(p.wire()).isEqualTo(byPriority.get(p));
        }
    }

    @Test
    void two_workers_racing_through_query_then_update_with_expect_win_each_task_once() throws Exception {
        // Given 200 pending tasks
        String tag = "race-" + UUID.randomUUID().toString().substring(0, 8);
        List<CompletableFuture<Task>> creates = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            creates.add(client.createTaskAsync(NewTask.titled(tag + " " + i)));
        }
        CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).join();

        // When two workers both follow the seed pattern for every task: query pending, then take it with expect
        AtomicInteger wins = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (String worker : List.of("racer-1", "racer-2")) {
                workers.add(pool.submit(() -> {
                    List<Task> available = client.queryTasks(TaskQuery.all().status(TaskStatus.PENDING).titleContains(tag)).toList();
                    for (Task task : available) {
                        try {
                            client.updateTask(task.id(), TaskUpdate.of().status(TaskStatus.IN_PROGRESS).assignee(worker)
                                    .expect("status", "pending"));
                            wins.incrementAndGet();
                        } catch (TaskStateException.Conflict lost) {
                            conflicts.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : workers) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        // Then exactly one worker won each task
        assertThat(wins.get()).isEqualTo(200);
        assertThat(conflicts.get()).isEqualTo(200);
        assertThat(client.queryTasks(TaskQuery.all().status(TaskStatus.IN_PROGRESS).titleContains(tag)).count()).isEqualTo(200);
    }

    @Test
    void claiming_a_task_someone_holds_says_who_holds_it() {
        Task task = client.createTask(NewTask.titled("held"));
        client.claim(task.id(), "first", Duration.ofMinutes(5));

        TaskStateException.Conflict conflict = org.junit.jupiter.api.Assertions.assertThrows(TaskStateException.Conflict.class,
                () -> client.claim(task.id(), "second"));

        assertThat(conflict.getMessage()).contains("in_progress").contains("first");
        assertThat(client.getTask(task.id()).leaseExpiresAt()).isNotNull();
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
