package io.taskstate.benchmarks;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * How long after an instance's timeout its in-progress task is back in {@code pending}. Run it
 * against a server with a short {@code TASKSTATE_INSTANCE_TIMEOUT} (e.g. {@code PT2S}) and pass the
 * same value as {@code --timeout-ms}.
 *
 * <p>Each round has {@code --workers} workers, each a fresh instance id. Worker {@code j} starts at a
 * random moment in its slot of {@code --stagger-ms / workers}, so the deadlines fall at every phase
 * of the server's expiry check (every {@code TASKSTATE_EXPIRY_CHECK_INTERVAL}, default 1 s) and the
 * polling load is spread out. A worker sends one replied heartbeat ({@link TaskStateClient#heartbeat}),
 * which gives its {@code last_heartbeat}, takes its own task ({@code in_progress}, itself as assignee)
 * and goes silent. Its deadline is {@code last_heartbeat + timeout}. From the deadline on, the task is
 * polled with {@code getTask} every {@code --poll-ms} (the next poll starts that long after the
 * previous one started, or when its answer arrives if that is later) until it shows {@code pending}.
 *
 * <p>Per task: {@code decided} = the released task's {@code updated_at} (the moment the server
 * decided the expiry) minus the deadline, exact to the millisecond; {@code visible} = the moment the
 * first answer showing {@code pending} arrived minus the deadline, late by up to one poll gap plus a
 * GET. {@code last_heartbeat} is the heartbeat record's timestamp, taken by this process's producer,
 * so both subtractions use this machine's clock. {@code propagate} = visible - decided, per task.
 * The result line has p50, p99 and max of each (ms), with the poll gaps and GET latencies that bound
 * the visible figure's resolution.
 *
 * <p>Sanity counts: {@code late} workers whose task update landed after their own deadline (left
 * out: the server rightly keeps a task taken after the expiry), {@code stuck} tasks not back within
 * {@code --max-wait-seconds}, {@code wrong} releases (assignee kept or no {@code status_reason}),
 * {@code expired_at_mismatch} instances whose {@code expired_at} differs from the task's
 * {@code updated_at}.
 *
 * <p>This is a measurement, not a test: it asserts nothing about speed.
 */
public final class ExpiryDelay {
    private static final String USAGE = """
            usage: ExpiryDelay [--bootstrap HOST:PORT] [--base-url URL] [--workers N] [--rounds N] [--timeout-ms MS]
                               [--stagger-ms MS] [--poll-ms MS] [--max-wait-seconds S] [--run LABEL]
              --bootstrap         Kafka of the server (default 127.0.0.1:9092)
              --base-url          HTTP API of the server (default http://127.0.0.1:8080)
              --workers           workers (instances, each with one task) per round (default 50)
              --rounds            rounds, one after the other (default 3)
              --timeout-ms        the server's TASKSTATE_INSTANCE_TIMEOUT in ms (default 2000): it is not
                                  read from the server, so it must match
              --stagger-ms        a round's heartbeats are spread over this long (default 5000)
              --poll-ms           poll each task this often from its deadline on (default 10)
              --max-wait-seconds  a task not back in pending this long after its deadline is stuck (default 30)
              --run               label printed as run=... (default 1)""";

    private ExpiryDelay() {
    }

    /** One worker and its task; fields are written by one thread at a time, handed on through the scheduler. */
    private static final class Worker {
        final String instanceId;
        long taskId;
        Instant deadline;
        boolean late;
        boolean stuck;
        boolean wrong;
        boolean firstPollPending;
        boolean expiredAtMismatch;
        String pollError;
        long decidedNanos;
        long visibleNanos;
        long previousPollStart;
        final List<Long> gaps = new ArrayList<>();
        final List<Long> gets = new ArrayList<>();
        Instant releasedAt;
        String error;

        Worker(String instanceId) {
            this.instanceId = instanceId;
        }

        boolean measured() {
            return error == null && !late && !stuck && releasedAt != null;
        }
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--workers", "--rounds", "--timeout-ms",
                "--stagger-ms", "--poll-ms", "--max-wait-seconds", "--run");
        String bootstrap = args.get("--bootstrap", "127.0.0.1:9092");
        String baseUrl = args.get("--base-url", "http://127.0.0.1:8080");
        int workers = Math.max(1, args.getInt("--workers", 50));
        int rounds = Math.max(1, args.getInt("--rounds", 3));
        long timeoutMs = args.getInt("--timeout-ms", 2000);
        long staggerMs = Math.max(0, args.getInt("--stagger-ms", 5000));
        long pollMs = Math.max(1, args.getInt("--poll-ms", 10));
        double maxWaitSeconds = args.getDouble("--max-wait-seconds", 30);
        String run = args.get("--run", "1");
        String tag = ProcessHandle.current().pid() + "-" + run;

        ScheduledExecutorService timer = Executors.newScheduledThreadPool(4, r -> {
            Thread t = new Thread(r, "expiry-worker");
            t.setDaemon(true);
            return t;
        });
        List<Worker> all = new ArrayList<>();
        long started = System.nanoTime();
        try (TaskStateClient client = TaskStateClient.builder()
                .bootstrapServers(bootstrap)
                .baseUrl(baseUrl)
                .clientId("bench-expiry-" + tag)
                .timeout(Duration.ofSeconds(10))
                .build()) {
            for (int round = 1; round <= rounds; round++) {
                List<Worker> ws = round(client, timer, tag, round, workers, timeoutMs, staggerMs, pollMs, maxWaitSeconds);
                all.addAll(ws);
                long measured = ws.stream().filter(Worker::measured).count();
                System.err.printf("expiry_delay run %s round %d: %d of %d tasks measured%n", run, round, measured, ws.size());
            }
        } finally {
            timer.shutdownNow();
        }

        List<Long> decided = new ArrayList<>();
        List<Long> visible = new ArrayList<>();
        List<Long> propagate = new ArrayList<>();
        List<Long> gaps = new ArrayList<>();
        List<Long> gets = new ArrayList<>();
        int late = 0;
        int stuck = 0;
        int wrong = 0;
        int errors = 0;
        int firstPollPending = 0;
        int mismatch = 0;
        String firstError = null;
        for (Worker w : all) {
            gets.addAll(w.gets);
            if (w.error != null) {
                errors++;
                firstError = firstError == null ? w.instanceId + ": " + w.error : firstError;
                continue;
            }
            late += w.late ? 1 : 0;
            stuck += w.stuck ? 1 : 0;
            if (!w.measured()) {
                continue;
            }
            wrong += w.wrong ? 1 : 0;
            firstPollPending += w.firstPollPending ? 1 : 0;
            mismatch += w.expiredAtMismatch ? 1 : 0;
            decided.add(w.decidedNanos);
            visible.add(w.visibleNanos);
            propagate.add(w.visibleNanos - w.decidedNanos);
            gaps.addAll(w.gaps);
        }
        Stats d = new Stats(toArray(decided));
        Stats v = new Stats(toArray(visible));
        Stats p = new Stats(toArray(propagate));
        Stats g = new Stats(toArray(gaps));
        Stats l = new Stats(toArray(gets));
        Map<String, String> line = new LinkedHashMap<>();
        line.put("bench", "expiry_delay");
        line.put("tool", "sdk");
        line.put("run", run);
        line.put("workers", Integer.toString(workers));
        line.put("rounds", Integer.toString(rounds));
        line.put("timeout_ms", Long.toString(timeoutMs));
        line.put("poll_ms", Long.toString(pollMs));
        line.put("n", Integer.toString(d.count()));
        line.put("late", Integer.toString(late));
        line.put("stuck", Integer.toString(stuck));
        line.put("wrong", Integer.toString(wrong));
        line.put("errors", Integer.toString(errors));
        line.put("expired_at_mismatch", Integer.toString(mismatch));
        line.put("decided_p50_ms", Stats.ms(d.percentileMs(50)));
        line.put("decided_p99_ms", Stats.ms(d.percentileMs(99)));
        line.put("decided_max_ms", Stats.ms(d.maxMs()));
        line.put("visible_p50_ms", Stats.ms(v.percentileMs(50)));
        line.put("visible_p99_ms", Stats.ms(v.percentileMs(99)));
        line.put("visible_max_ms", Stats.ms(v.maxMs()));
        line.put("propagate_p50_ms", Stats.ms(p.percentileMs(50)));
        line.put("propagate_max_ms", Stats.ms(p.maxMs()));
        line.put("poll_gap_p50_ms", Stats.ms(g.percentileMs(50)));
        line.put("poll_gap_p99_ms", Stats.ms(g.percentileMs(99)));
        line.put("get_p50_ms", Stats.ms(l.percentileMs(50)));
        line.put("get_p99_ms", Stats.ms(l.percentileMs(99)));
        line.put("first_poll_pending", Integer.toString(firstPollPending));
        System.out.println(Stats.line(line));
        System.err.printf("expiry_delay run %s: %d tasks in %.1f s; decided min %s ms, visible min %s ms; %d polls; decided bands: %s%n",
                run, all.size(), (System.nanoTime() - started) / 1e9, Stats.ms(d.minMs()), Stats.ms(v.minMs()), l.count(),
                Stats.line(d.bands()));
        if (firstError != null) {
            System.err.println("expiry_delay run " + run + " first error: " + firstError);
        }
    }

    private static List<Worker> round(TaskStateClient client, ScheduledExecutorService timer, String tag, int round,
                                      int count, long timeoutMs, long staggerMs, long pollMs, double maxWaitSeconds)
            throws InterruptedException {
        List<Worker> ws = new ArrayList<>(count);
        List<CompletableFuture<Task>> created = new ArrayList<>(count);
        for (int j = 0; j < count; j++) {
            ws.add(new Worker("bench-expiry-" + tag + "-r" + round + "-w" + j));
            created.add(client.createTaskAsync(NewTask.titled("bench expiry round " + round + " worker " + j)
                    .description("held by a worker that goes silent")));
        }
        for (int j = 0; j < count; j++) {
            ws.get(j).taskId = created.get(j).join().id();
        }

        CountDownLatch done = new CountDownLatch(count);
        double slot = (double) staggerMs / count;
        for (int j = 0; j < count; j++) {
            Worker w = ws.get(j);
            long offset = (long) (j * slot + ThreadLocalRandom.current().nextDouble() * slot);
            timer.schedule(() -> start(client, timer, w, timeoutMs, pollMs, maxWaitSeconds, done), offset, TimeUnit.MILLISECONDS);
        }
        long waitMs = staggerMs + timeoutMs + (long) (maxWaitSeconds * 1000) + 30_000;
        if (!done.await(waitMs, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("round " + round + " did not finish within " + waitMs + " ms");
        }

        // the instance's expired_at is the same decision: it should equal the released task's updated_at
        for (Worker w : ws) {
            if (w.measured()) {
                try {
                    Instance i = client.getInstanceState(w.instanceId);
                    if (i.expiredAt() == null || !i.expiredAt().equals(w.releasedAt)) {
                        w.expiredAtMismatch = true;
                        System.err.println("expiry_delay: " + w.instanceId + " has expired_at " + i.expiredAt()
                                + " but its task was released at " + w.releasedAt);
                    }
                } catch (TaskStateException e) {
                    w.expiredAtMismatch = true;
                    System.err.println("expiry_delay: reading instance " + w.instanceId + " failed: " + e);
                }
            }
        }
        return ws;
    }

    /** The worker's life: one replied heartbeat, take the task, go silent; then poll from its deadline. */
    private static void start(TaskStateClient client, ScheduledExecutorService timer, Worker w, long timeoutMs,
                              long pollMs, double maxWaitSeconds, CountDownLatch done) {
        try {
            Instance instance = client.heartbeat(w.instanceId);
            w.deadline = instance.lastHeartbeat().plusMillis(timeoutMs);
            Task taken = client.updateTask(w.taskId, TaskUpdate.of().status(TaskStatus.IN_PROGRESS).assignee(w.instanceId));
            if (taken.status() != TaskStatus.IN_PROGRESS || !w.instanceId.equals(taken.assignee())) {
                throw new IllegalStateException("task " + w.taskId + " not taken: " + taken);
            }
            if (!taken.updatedAt().isBefore(w.deadline)) {
                w.late = true;
                done.countDown();
                return;
            }
        } catch (RuntimeException e) {
            w.error = e.toString();
            done.countDown();
            return;
        }
        Instant giveUp = w.deadline.plusMillis((long) (maxWaitSeconds * 1000));
        timer.schedule(() -> poll(client, timer, w, pollMs, giveUp, true, done),
                Math.max(0, Duration.between(Instant.now(), w.deadline).toNanos()), TimeUnit.NANOSECONDS);
    }

    private static void poll(TaskStateClient client, ScheduledExecutorService timer, Worker w, long pollMs, Instant giveUp,
                             boolean first, CountDownLatch done) {
        long t0 = System.nanoTime();
        if (w.previousPollStart != 0) {
            w.gaps.add(t0 - w.previousPollStart);
        }
        w.previousPollStart = t0;
        client.getTaskAsync(w.taskId).whenComplete((task, error) -> {
            Instant seen = Instant.now();
            w.gets.add(System.nanoTime() - t0);
            if (error != null) {
                w.pollError = error.toString(); // polled again below
            } else if (task.status() == TaskStatus.PENDING) {
                w.firstPollPending = first;
                w.releasedAt = task.updatedAt();
                w.wrong = task.assignee() != null || task.statusReason() == null;
                w.decidedNanos = Duration.between(w.deadline, task.updatedAt()).toNanos();
                w.visibleNanos = Duration.between(w.deadline, seen).toNanos();
                done.countDown();
                return;
            } else if (task.status() != TaskStatus.IN_PROGRESS) {
                w.error = "task " + w.taskId + " went to " + task.status() + " instead of pending";
                done.countDown();
                return;
            }
            if (seen.isAfter(giveUp)) {
                w.stuck = true;
                System.err.println("expiry_delay: task " + w.taskId + " of " + w.instanceId + " still not pending "
                        + Duration.between(w.deadline, seen).toMillis() + " ms after the deadline"
                        + (w.pollError == null ? "" : "; last poll error: " + w.pollError));
                done.countDown();
                return;
            }
            long next = Math.max(0, pollMs * 1_000_000L - (System.nanoTime() - t0));
            timer.schedule(() -> poll(client, timer, w, pollMs, giveUp, false, done), next, TimeUnit.NANOSECONDS);
        });
    }

    private static long[] toArray(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }
}
