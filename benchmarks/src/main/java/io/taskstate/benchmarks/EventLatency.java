package io.taskstate.benchmarks;

import io.taskstate.client.EventFilter;
import io.taskstate.client.NewTask;
import io.taskstate.client.Subscription;
import io.taskstate.client.TaskEvent;
import io.taskstate.client.TaskStateClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * How long after an SDK write returns its change reaches a live-updates subscriber: one
 * {@link TaskStateClient#subscribe} on tasks, then one synchronous {@code createTask} at a time;
 * for each, {@code reply_to_event} = the subscriber's listener getting its {@code created} event
 * minus the write returning (both {@link System#nanoTime()}, same process), and
 * {@code write_to_event} = the same minus the write's start. The next write starts once the event
 * arrived, so nothing queues, after a random pause of 0 to {@code --gap-max-ms}: under exactly-once
 * an event shows once the app's transaction commits (every {@code commit.interval.ms}, 100 ms), and
 * without the pause each write would start right after a commit, always at the worst phase. A
 * warm-up is discarded first. An event that arrives before its
 * write returns counts 0 and in {@code before_reply}.
 *
 * <p>This is a measurement, not a test: it asserts nothing about speed.
 */
public final class EventLatency {
    private static final String USAGE = """
            usage: EventLatency [--bootstrap HOST:PORT] [--base-url URL] [--warmup N] [--n N] [--gap-max-ms MS] [--run LABEL]
              --bootstrap  Kafka of the server (default 127.0.0.1:9092)
              --base-url   HTTP API of the server (default http://127.0.0.1:8080)
              --warmup     writes to discard first (default 200)
              --n          writes to measure (default 2000)
              --gap-max-ms pause before each write, uniform from 0 to this (default 100, the commit interval)
              --run        label printed as run=... (default 1)""";
    private static final long EVENT_TIMEOUT_SECONDS = 30;

    private EventLatency() {
    }

    private record Arrival(long taskId, long nanos) {
    }

    public static void main(String[] argv) throws InterruptedException {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--warmup", "--n", "--gap-max-ms", "--run");
        String run = args.get("--run", "1");
        int warmup = args.getInt("--warmup", 200);
        int n = args.getInt("--n", 2000);
        int gapMaxMs = args.getInt("--gap-max-ms", 100);
        java.util.Random random = new java.util.Random(42);
        String tag = "bench-events-" + ProcessHandle.current().pid() + "-" + run + " ";
        BlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
        try (TaskStateClient client = TaskStateClient.builder()
                .bootstrapServers(args.get("--bootstrap", "127.0.0.1:9092"))
                .baseUrl(args.get("--base-url", "http://127.0.0.1:8080"))
                .clientId("bench-events-" + ProcessHandle.current().pid() + "-" + run)
                .timeout(Duration.ofSeconds(10))
                .build();
             Subscription ignored = client.subscribe(EventFilter.tasks(), (TaskEvent e) -> {
                 long now = System.nanoTime();
                 if ("created".equals(e.change()) && e.task().title().startsWith(tag)) {
                     arrivals.add(new Arrival(e.task().id(), now));
                 }
             })) {
            long[] replyToEvent = new long[n];
            long[] writeToEvent = new long[n];
            int beforeReply = 0;
            long start = System.nanoTime();
            for (int i = -warmup; i < n; i++) {
                if (gapMaxMs > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(random.nextInt(gapMaxMs * 1000) * 1000L);
                }
                long t0 = System.nanoTime();
                long id = client.createTask(NewTask.titled(tag + i)).id();
                long replied = System.nanoTime();
                long arrived = awaitEvent(arrivals, id);
                if (i >= 0) {
                    replyToEvent[i] = Math.max(0, arrived - replied);
                    writeToEvent[i] = arrived - t0;
                    beforeReply += arrived < replied ? 1 : 0;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Stats reply = new Stats(replyToEvent);
            Stats write = new Stats(writeToEvent);
            Map<String, String> line = new LinkedHashMap<>();
            line.put("bench", "event_latency");
            line.put("tool", "sdk");
            line.put("run", run);
            line.put("n", Integer.toString(n));
            line.put("warmup_n", Integer.toString(warmup));
            line.put("gap_max_ms", Integer.toString(gapMaxMs));
            line.put("before_reply", Integer.toString(beforeReply));
            reply.figures().forEach((k, v) -> line.put("reply_to_event_" + k, v));
            line.put("write_to_event_p50_ms", Stats.ms(write.percentileMs(50)));
            line.put("write_to_event_p99_ms", Stats.ms(write.percentileMs(99)));
            System.out.println(Stats.line(line));
            System.err.printf("event_latency run %s: %d writes in %.1f s%n", run, n + warmup, seconds);
            System.err.println("event_latency run " + run + " reply_to_event bands: " + Stats.line(reply.bands()));
        }
    }

    /** The arrival time of {@code taskId}'s created event; events of earlier writes already went by. */
    private static long awaitEvent(BlockingQueue<Arrival> arrivals, long taskId) throws InterruptedException {
        while (true) {
            Arrival a = arrivals.poll(EVENT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (a == null) {
                throw new IllegalStateException("No event for task " + taskId + " within " + EVENT_TIMEOUT_SECONDS
                        + " s: is the server's events stream working?");
            }
            if (a.taskId() == taskId) {
                return a.nanos();
            }
        }
    }
}
