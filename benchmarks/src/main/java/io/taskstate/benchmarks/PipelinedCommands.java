package io.taskstate.benchmarks;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.TaskStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pipelined commands from many clients: each of {@code --clients} SDK clients (its own producer and
 * reply consumer) keeps up to {@code --in-flight} creates unanswered, sending the next as soon as a
 * reply frees a slot. The tasks' statuses cycle through pending, in progress, completed and blocked,
 * so a status filter selects a quarter of them.
 *
 * <p>Timed (default): after one answered create per client and a warm-up, for {@code --seconds},
 * it counts replies and records each one's latency (send to reply). Counted ({@code --count N}):
 * exactly N creates, all measured, which is how the store-size scenarios seed their stores;
 * {@code --ids-out FILE} then keeps {@code --ids-sample} of the new ids, spread evenly, for GETs.
 * Prints one {@code key=value} line: replies/s, reply latency percentiles, errors, and the size of a
 * create command's record value (the record size of the raw-producer baseline).
 *
 * <p>This is a measurement, not a test: it asserts nothing about speed.
 */
public final class PipelinedCommands {
    private static final String USAGE = """
            usage: PipelinedCommands [--bootstrap HOST:PORT] [--base-url URL] [--clients N] [--in-flight N]
                                     [--warmup-seconds S] [--seconds S] [--count N [--ids-out FILE] [--ids-sample N]]
                                     [--linger-ms MS] [--status S] [--run LABEL]
              --clients    SDK clients, one sender thread each (default 16)
              --status     create every task with this status instead of cycling through four
              --linger-ms  the clients' producer linger.ms (default the SDK's, 0)
              --in-flight  unanswered commands per client at most (default 64)
              --count      send exactly this many creates instead of a timed run""";
    private static final TaskStatus[] STATUSES = {TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.BLOCKED};

    private PipelinedCommands() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--clients", "--in-flight",
                "--warmup-seconds", "--seconds", "--count", "--ids-out", "--ids-sample", "--linger-ms", "--status", "--run");
        String bootstrap = args.get("--bootstrap", "127.0.0.1:9092");
        String baseUrl = args.get("--base-url", "http://127.0.0.1:8080");
        int clients = args.getInt("--clients", 16);
        int inFlight = args.getInt("--in-flight", 64);
        long count = args.getInt("--count", 0);
        boolean counted = count > 0;
        long warmupNanos = counted ? 0 : args.getInt("--warmup-seconds", 5) * 1_000_000_000L;
        long measureNanos = counted ? Long.MAX_VALUE / 4 : args.getInt("--seconds", 20) * 1_000_000_000L;
        String idsOut = args.get("--ids-out", null);
        long sampleEvery = Math.max(1, count / Math.max(1, args.getInt("--ids-sample", 1000)));
        String run = args.get("--run", "1");
        String lingerMs = args.get("--linger-ms", null);
        String status = args.get("--status", null);
        TaskStatus[] statuses = status == null ? STATUSES : new TaskStatus[] {TaskStatus.parse(status).orElseThrow(
                () -> new IllegalArgumentException("--status must be one of " + TaskStatus.VALID))};

        List<TaskStateClient> sdk = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            TaskStateClient.Builder builder = TaskStateClient.builder().bootstrapServers(bootstrap).baseUrl(baseUrl)
                    .clientId("bench-pipe-" + ProcessHandle.current().pid() + "-" + c)
                    .timeout(Duration.ofSeconds(120));
            if (lingerMs != null) {
                builder.kafkaProperty("linger.ms", Integer.parseInt(lingerMs));
            }
            sdk.add(builder.build());
        }
        if (!counted) {
            // one answered create per client first: its producer and reply consumer are connected before the clock starts
            sdk.parallelStream().forEach(c -> c.createTask(NewTask.titled("pipelined warm-up")));
        }
        long start = System.nanoTime();
        long measureFrom = start + warmupNanos;
        long measureTo = measureFrom + measureNanos;
        AtomicLong toSend = new AtomicLong(counted ? count : Long.MAX_VALUE);
        AtomicLong sentTotal = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        ConcurrentSkipListSet<Long> sampledIds = new ConcurrentSkipListSet<>();
        List<Stats.Samples> samples = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            TaskStateClient client = sdk.get(c);
            Stats.Samples mine = new Stats.Samples();
            samples.add(mine);
            Semaphore slots = new Semaphore(inFlight);
            String prefix = "pipelined " + c + " ";
            senders.add(new Thread(() -> {
                while (System.nanoTime() < measureTo && toSend.getAndDecrement() > 0) {
                    slots.acquireUninterruptibly();
                    long n = sentTotal.getAndIncrement();
                    long sent = System.nanoTime();
                    NewTask task = NewTask.titled(prefix + n).status(statuses[(int) (n % statuses.length)]);
                    client.createTaskAsync(task).whenComplete((created, error) -> {
                        long now = System.nanoTime();
                        if (sent >= measureFrom && now <= measureTo) {
                            if (error != null) {
                                errors.incrementAndGet();
                            } else {
                                synchronized (mine) {
                                    mine.add(now - sent);
                                }
                                if (idsOut != null && n % sampleEvery == 0) {
                                    sampledIds.add(created.id());
                                }
                            }
                        }
                        slots.release();
                    });
                }
                slots.acquireUninterruptibly(inFlight);
            }, "sender-" + c));
        }
        senders.forEach(Thread::start);
        for (Thread t : senders) {
            t.join();
        }
        double seconds = (Math.min(System.nanoTime(), measureTo) - measureFrom) / 1e9;
        sdk.forEach(TaskStateClient::close);
        if (idsOut != null) {
            StringBuilder sb = new StringBuilder();
            sampledIds.forEach(id -> sb.append(id).append('\n'));
            Files.writeString(Path.of(idsOut), sb);
        }

        long[] all;
        synchronized (samples) {
            all = Stats.Samples.concat(samples);
        }
        Stats latency = new Stats(all);
        Map<String, String> line = new LinkedHashMap<>();
        line.put("bench", counted ? "seed" : "pipelined_commands");
        line.put("run", run);
        line.put("clients", Integer.toString(clients));
        line.put("in_flight", Integer.toString(inFlight));
        line.put("linger_ms", lingerMs == null ? "0" : lingerMs);
        line.put("replies", Integer.toString(latency.count()));
        line.put("errors", Long.toString(errors.get()));
        line.put("replies_per_s", Stats.num(latency.count() / seconds, 1));
        line.put("p50_ms", Stats.ms(latency.percentileMs(50)));
        line.put("p99_ms", Stats.ms(latency.percentileMs(99)));
        line.put("max_ms", Stats.ms(latency.maxMs()));
        line.put("value_bytes", Integer.toString(commandValueBytes()));
        System.out.println(Stats.line(line));
    }

    /** The size of one create command's record value as this benchmark sends it (its issue time included). */
    private static int commandValueBytes() {
        Command create = new Command(UUID.randomUUID().toString(), "bench-pipe-12345-10", CommandType.CREATE_TASK.wire(),
                null, Json.object().put("title", "pipelined 10 123456").put("status", "pending"), null, Instant.now());
        return Json.bytes(create).length;
    }
}
