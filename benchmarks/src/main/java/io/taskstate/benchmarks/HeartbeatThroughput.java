package io.taskstate.benchmarks;

import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sustained throughput of the fire-and-forget heartbeat, {@link TaskStateClient#beat}: {@code --threads}
 * sender threads go round-robin over {@code --instances} instance ids (each thread owns every
 * {@code threads}-th id), with at most {@code --in-flight} heartbeats not yet acknowledged by the
 * broker (a shared {@link Semaphore}). First one heartbeat per id connects the client and creates
 * every instance; a warm-up follows; after each the benchmark waits until the app has applied it, so
 * the measured phase starts with no backlog, and then measures for a fixed time.
 *
 * <p>The broker's acknowledgement says nothing about the app, so after the last acknowledgement it
 * polls {@code GET /api/v1/instances} until every instance's {@code last_heartbeat} is at or after
 * the moment its last heartbeat was sent (the record's timestamp is taken inside
 * {@code producer.send}, after that moment): the <em>drain time</em>. The result line has both rates:
 * {@code acked_per_s} (heartbeats / time until the broker had them all) and {@code processed_per_s}
 * (the same heartbeats / time until the app had applied them all, drain included). A drain near zero
 * means the app keeps up with what the broker accepts. {@code lag_*} samples, during the measurement,
 * how far the newest applied heartbeat trails the wall clock.
 *
 * <p>By default it sends as fast as the in-flight bound allows, which on a small machine is faster
 * than the app applies heartbeats: then the drain is long and {@code processed_per_s} is the app's
 * rate. {@code --rate} paces the senders instead, to see whether the app keeps up with a given rate.
 *
 * <p>This is a measurement, not a test: it asserts nothing about speed.
 */
public final class HeartbeatThroughput {
    private static final String USAGE = """
            usage: HeartbeatThroughput [--bootstrap HOST:PORT] [--base-url URL] [--instances N] [--threads N]
                                       [--in-flight N] [--warmup-seconds S] [--seconds S] [--drain-poll-ms MS]
                                       [--drain-max-seconds S] [--lag-sample-ms MS] [--rate N] [--id-prefix P]
                                       [--linger-ms MS] [--run LABEL]
              --bootstrap          Kafka of the server (default 127.0.0.1:9092)
              --base-url           HTTP API of the server (default http://127.0.0.1:8080)
              --instances          instance ids to go round-robin over (default 1000)
              --threads            sender threads, each owning every threads-th id (default 1)
              --in-flight          heartbeats sent but not yet acknowledged by the broker, at most (default 1000)
              --warmup-seconds     heartbeats before measuring, discarded; then wait for the app to catch up (default 5)
              --seconds            measured sending time (default 20)
              --drain-poll-ms      how often to list the instances while waiting for the app, once it is
                                   nearly done (default 50; it backs off while the app is far behind)
              --drain-max-seconds  give up waiting for the app after this long, drained=false (default 600)
              --lag-sample-ms      list the instances this often during the measurement to sample the
                                   app's lag; 0 for never (default 1000)
              --rate               send at most this many heartbeats/s in all, paced evenly (default 0:
                                   as fast as the in-flight bound allows)
              --id-prefix          instance ids are PREFIX0 .. PREFIX(N-1) (default bench-hb-); reusing
                                   them across runs keeps the instance count fixed
              --linger-ms          the SDK producer's linger.ms (default: the SDK's, 0)
              --run                label printed as run=... (default 1)""";

    private HeartbeatThroughput() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--instances", "--threads", "--in-flight",
                "--warmup-seconds", "--seconds", "--drain-poll-ms", "--drain-max-seconds", "--lag-sample-ms",
                "--rate", "--id-prefix", "--linger-ms", "--run");
        String bootstrap = args.get("--bootstrap", "127.0.0.1:9092");
        String baseUrl = args.get("--base-url", "http://127.0.0.1:8080");
        int instances = args.getInt("--instances", 1000);
        int threads = Math.max(1, args.getInt("--threads", 1));
        int inFlight = Math.max(1, args.getInt("--in-flight", 1000));
        double warmupSeconds = args.getDouble("--warmup-seconds", 5);
        double seconds = args.getDouble("--seconds", 20);
        long drainPollMs = Math.max(1, args.getInt("--drain-poll-ms", 50));
        double drainMaxSeconds = args.getDouble("--drain-max-seconds", 600);
        double rate = Math.max(0, args.getDouble("--rate", 0));
        long lagSampleMs = args.getInt("--lag-sample-ms", 1000);
        String prefix = args.get("--id-prefix", "bench-hb-");
        String linger = args.get("--linger-ms", null);
        String run = args.get("--run", "1");

        String[] ids = new String[instances];
        for (int i = 0; i < instances; i++) {
            ids[i] = prefix + i;
        }
        TaskStateClient.Builder builder = TaskStateClient.builder()
                .bootstrapServers(bootstrap)
                .baseUrl(baseUrl)
                .clientId("bench-heartbeat-" + ProcessHandle.current().pid() + "-" + run)
                .timeout(Duration.ofSeconds(10));
        if (linger != null) {
            builder.kafkaProperty("linger.ms", Integer.parseInt(linger));
        }
        try (TaskStateClient client = builder.build()) {
            // ---- one heartbeat per id: connects the client (the SDK does on its first write) and creates
            // every instance before anything is timed
            long primeStart = System.nanoTime();
            long[] primed = new long[ids.length];
            List<CompletableFuture<Void>> beats = new ArrayList<>(ids.length);
            for (int i = 0; i < ids.length; i++) {
                primed[i] = System.currentTimeMillis();
                beats.add(client.beat(ids[i]));
            }
            CompletableFuture.allOf(beats.toArray(CompletableFuture[]::new)).join();
            double primeSeconds = (System.nanoTime() - primeStart) / 1e9;
            Drain primeDrain = drain(client, ids, primed, drainPollMs, drainMaxSeconds);
            System.err.printf("heartbeat_throughput run %s: one heartbeat per id acknowledged in %.1f s, applied %d ms later%n",
                    run, primeSeconds, primeDrain.millis);

            // ---- warm-up, then wait for the app, so the measurement starts without a backlog
            Phase warm = send(client, ids, threads, inFlight, rate, warmupSeconds);
            Drain warmDrain = drain(client, ids, warm.lastSentMs, drainPollMs, drainMaxSeconds);
            System.err.printf("heartbeat_throughput run %s: warm-up %d heartbeats in %.1f s (%d errors), app caught up %d ms after the last ack (drained=%s)%n",
                    run, warm.acked, warm.sendNanos / 1e9, warm.errors, warmDrain.millis, warmDrain.drained);

            // ---- measure
            LagSampler lag = new LagSampler(client, lagSampleMs);
            lag.start();
            Phase m = send(client, ids, threads, inFlight, rate, seconds);
            lag.stop();
            Drain d = drain(client, ids, m.lastSentMs, drainPollMs, drainMaxSeconds);

            double sendS = m.sendNanos / 1e9;
            double totalS = sendS + d.millis / 1e3;
            Stats lagStats = new Stats(lag.samples());
            Stats listStats = new Stats(d.listNanos);
            Map<String, String> line = new LinkedHashMap<>();
            line.put("bench", "heartbeat_throughput");
            line.put("tool", "sdk-beat");
            line.put("run", run);
            line.put("threads", Integer.toString(threads));
            line.put("ids", Integer.toString(instances));
            line.put("in_flight", Integer.toString(inFlight));
            line.put("target_rate", rate > 0 ? Stats.num(rate, 0) : "max");
            line.put("duration_s", Stats.num(sendS, 1));
            line.put("sent", Long.toString(m.sent));
            line.put("errors", Long.toString(m.errors));
            line.put("acked_per_s", Stats.num(m.acked / sendS, 1));
            line.put("drain_ms", Long.toString(d.millis));
            line.put("drained", Boolean.toString(d.drained));
            line.put("behind_at_stop", Integer.toString(d.behindAtFirstPoll));
            line.put("processed_per_s", d.drained ? Stats.num(m.acked / totalS, 1) : "NaN");
            line.put("lag_p50_ms", Stats.ms(lagStats.percentileMs(50)));
            line.put("lag_max_ms", Stats.ms(lagStats.maxMs()));
            line.put("drain_polls", Integer.toString(d.polls));
            line.put("list_p50_ms", Stats.ms(listStats.percentileMs(50)));
            System.out.println(Stats.line(line));
            System.err.printf("heartbeat_throughput run %s: %d sent, %d acked, %d errors in %.2f s; app caught up %d ms after the last ack "
                            + "(%d polls, %d of %d instances behind at the first; list p50 %s ms, max %s ms); %d lag samples%n",
                    run, m.sent, m.acked, m.errors, sendS, d.millis, d.polls, d.behindAtFirstPoll, instances,
                    Stats.ms(listStats.percentileMs(50)), Stats.ms(listStats.maxMs()), lagStats.count());
            if (m.firstError != null) {
                System.err.println("heartbeat_throughput run " + run + " first error: " + m.firstError);
            }
            if (d.firstError != null) {
                System.err.println("heartbeat_throughput run " + run + " first list error: " + d.firstError);
            }
        }
    }

    /** What one sending phase did. {@code sendNanos} runs from the first send to the last acknowledgement. */
    private record Phase(long sent, long acked, long errors, long sendNanos, long[] lastSentMs, String firstError) {
    }

    private record Drain(boolean drained, long millis, int polls, int behindAtFirstPoll, long[] listNanos, String firstError) {
    }

    /** Sends round-robin for {@code seconds}, then waits for every outstanding acknowledgement. */
    private static Phase send(TaskStateClient client, String[] ids, int threads, int inFlight, double rate, double seconds)
            throws InterruptedException {
        long[] lastSentMs = new long[ids.length];
        Semaphore permits = new Semaphore(inFlight);
        AtomicLong sent = new AtomicLong();
        AtomicLong acked = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Thread> senders = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        double nanosPerSend = rate > 0 ? 1e9 * threads / rate : 0; // per thread
        for (int t = 0; t < threads; t++) {
            int first = t;
            Thread sender = new Thread(() -> {
                long mine = 0;
                int i = first;
                try {
                    while (System.nanoTime() < end) {
                        if (nanosPerSend > 0) {
                            long due = start + (long) (mine * nanosPerSend);
                            long now = System.nanoTime();
                            if (due > now) {
                                LockSupport.parkNanos(Math.min(due - now, 50_000_000L));
                                continue;
                            }
                        }
                        if (!permits.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                            continue;
                        }
                        lastSentMs[i] = System.currentTimeMillis();
                        client.beat(ids[i]).whenComplete((ok, error) -> {
                            if (error == null) {
                                acked.incrementAndGet();
                            } else {
                                errors.incrementAndGet();
                                firstError.compareAndSet(null, error.toString());
                            }
                            permits.release();
                        });
                        mine++;
                        i += threads;
                        if (i >= ids.length) {
                            i = first;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    firstError.compareAndSet(null, e.toString());
                }
                sent.addAndGet(mine);
            }, "heartbeat-sender-" + t);
            sender.setDaemon(true);
            senders.add(sender);
        }
        senders.forEach(Thread::start);
        for (Thread s : senders) {
            s.join();
        }
        // every permit back = every heartbeat acknowledged (or failed)
        if (!permits.tryAcquire(inFlight, 60, TimeUnit.SECONDS)) {
            firstError.compareAndSet(null, "acknowledgements still outstanding 60 s after sending stopped");
        }
        long sendNanos = System.nanoTime() - start;
        return new Phase(sent.get(), acked.get(), errors.get(), sendNanos, lastSentMs, firstError.get());
    }

    /**
     * Lists the instances until each id's {@code last_heartbeat} is at or after {@code lastSentMs}
     * of it; the time is from the call (just after the last acknowledgement) to the answer that
     * showed it. A list of every instance costs the server real CPU, which a tight poll would take
     * from the very processing it waits for, so while the app is far behind the poll backs off: from
     * how fast the oldest {@code last_heartbeat} (the slowest partition's position) advanced since the
     * previous list it estimates the time left and sleeps a quarter of it (the app speeds up once
     * the senders stop competing for the CPU, so the estimate runs long), never less than
     * {@code pollMs} nor more than 2 s. Near the end it
     * polls every {@code pollMs}, which bounds how late the answer is (plus one list's latency).
     */
    private static Drain drain(TaskStateClient client, String[] ids, long[] lastSentMs, long pollMs, double maxSeconds)
            throws InterruptedException {
        Map<String, Integer> index = new HashMap<>(ids.length * 2);
        long lastSent = 0;
        for (int i = 0; i < ids.length; i++) {
            index.put(ids[i], i);
            lastSent = Math.max(lastSent, lastSentMs[i]);
        }
        long start = System.nanoTime();
        long deadline = start + (long) (maxSeconds * 1e9);
        int polls = 0;
        int behindFirst = -1;
        long previousOldest = -1;
        long previousAt = 0;
        List<Long> listNanos = new ArrayList<>();
        String firstError = null;
        while (true) {
            long t0 = System.nanoTime();
            int behind = ids.length;
            long sleepMs = pollMs;
            try {
                List<Instance> all = client.listInstances(false);
                long t1 = System.nanoTime();
                listNanos.add(t1 - t0);
                boolean[] seen = new boolean[ids.length];
                behind = 0;
                long oldest = Long.MAX_VALUE;
                for (Instance inst : all) {
                    Integer i = index.get(inst.instanceId());
                    if (i != null) {
                        seen[i] = true;
                        long hb = inst.lastHeartbeat().toEpochMilli();
                        oldest = Math.min(oldest, hb);
                        if (lastSentMs[i] != 0 && hb < lastSentMs[i]) {
                            behind++;
                        }
                    }
                }
                for (int i = 0; i < ids.length; i++) {
                    if (!seen[i] && lastSentMs[i] != 0) {
                        behind++;
                    }
                }
                polls++;
                if (behindFirst < 0) {
                    behindFirst = behind;
                }
                if (behind == 0) {
                    return new Drain(true, (t1 - start) / 1_000_000, polls, behindFirst, toArray(listNanos), firstError);
                }
                if (previousOldest >= 0 && oldest > previousOldest && oldest != Long.MAX_VALUE) {
                    double heartbeatMsPerMs = (oldest - previousOldest) / ((t1 - previousAt) / 1e6);
                    double leftMs = (lastSent - oldest) / heartbeatMsPerMs;
                    sleepMs = Math.max(pollMs, Math.min(2_000, (long) (leftMs / 4)));
                }
                previousOldest = oldest;
                previousAt = t1;
            } catch (TaskStateException e) {
                if (firstError == null) {
                    firstError = e.toString();
                }
            }
            if (System.nanoTime() > deadline) {
                return new Drain(false, (System.nanoTime() - start) / 1_000_000, polls, behindFirst, toArray(listNanos),
                        firstError == null ? behind + " instances still behind" : firstError);
            }
            long sleep = sleepMs - (System.nanoTime() - t0) / 1_000_000;
            if (sleep > 0) {
                Thread.sleep(sleep);
            }
        }
    }

    private static long[] toArray(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * During the measurement, lists the instances every {@code periodMs} and records how far the
     * newest applied heartbeat trails the moment the answer came back: the app's processing lag, plus
     * the gap between sends to one instance at most (sub-millisecond at thousands per second).
     */
    private static final class LagSampler {
        private final TaskStateClient client;
        private final long periodMs;
        private final Stats.Samples samples = new Stats.Samples();
        private volatile boolean running = true;
        private Thread thread;

        LagSampler(TaskStateClient client, long periodMs) {
            this.client = client;
            this.periodMs = periodMs;
        }

        void start() {
            if (periodMs <= 0) {
                return;
            }
            thread = new Thread(() -> {
                try {
                    Thread.sleep(periodMs);
                    while (running) {
                        try {
                            long newest = client.listInstances(false).stream()
                                    .mapToLong(i -> i.lastHeartbeat().toEpochMilli()).max().orElse(0);
                            long now = System.currentTimeMillis();
                            if (newest > 0 && running) {
                                samples.add(Math.max(0, now - newest) * 1_000_000L);
                            }
                        } catch (TaskStateException e) {
                            // a missed sample; the drain reports list errors
                        }
                        Thread.sleep(periodMs);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "heartbeat-lag-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            if (thread != null) {
                thread.interrupt();
                thread.join(5_000);
            }
        }

        /** The samples, in nanoseconds; call after {@link #stop()}. */
        long[] samples() {
            return Stats.Samples.concat(List.of(samples));
        }
    }
}
