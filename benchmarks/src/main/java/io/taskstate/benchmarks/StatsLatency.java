package io.taskstate.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Latency of {@code GET /api/v1/stats} on a store of {@code --tasks} tasks. Seeds the store first,
 * through {@code POST /api/v1/tasks/bulk} (batches of 1,000, {@code --in-flight} at a time), up to that many tasks
 * in total; then asks for the stats one request at a time. The stats are kept as counts per
 * partition, so the figure should not grow with the store. Prints one {@code key=value} result line.
 */
public final class StatsLatency {
    private static final String USAGE = """
            usage: StatsLatency [--base-url URL] [--tasks N] [--in-flight N] [--warmup N] [--n N] [--run LABEL]
              --base-url  HTTP API (default http://127.0.0.1:8080)
              --tasks     tasks the store holds before measuring; seeded up to this (default 100000)
              --in-flight bulk requests in flight while seeding (default 2)
              --warmup    requests before measuring, discarded (default 200)
              --n         measured requests (default 2000)
              --run       label printed as run=... (default 1)""";
    private static final Pattern TOTAL = Pattern.compile("\"total\":(\\d+)");
    private static final String[] PRIORITIES = {"low", "medium", "high", "critical"};

    private StatsLatency() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--base-url", "--tasks", "--in-flight", "--warmup", "--n", "--run");
        String base = args.get("--base-url", "http://127.0.0.1:8080");
        long tasks = args.getInt("--tasks", 100_000);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest stats = HttpRequest.newBuilder(URI.create(base + "/api/v1/stats")).timeout(Duration.ofSeconds(30)).GET().build();
        long seeded = seed(http, base, tasks - total(send(http, stats)), args.getInt("--in-flight", 2));
        long total = total(send(http, stats));
        int warmup = args.getInt("--warmup", 200);
        int n = args.getInt("--n", 2000);
        for (int i = 0; i < warmup; i++) {
            send(http, stats);
        }
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            send(http, stats);
            nanos[i] = System.nanoTime() - start;
        }
        Stats s = new Stats(nanos);
        System.out.printf(Locale.ROOT, "bench=stats run=%s tasks=%d seeded=%d n=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f%n",
                args.get("--run", "1"), total, seeded, n, s.percentileMs(50), s.percentileMs(90), s.percentileMs(99), s.percentileMs(100));
    }

    /**
     * Creates {@code count} tasks through the bulk endpoint, {@code inFlight} batches at a time. A
     * batch with items that timed out (504) is sent again under the same {@code Idempotency-Key},
     * which applies nothing twice, until every item is answered; returns how many were created.
     */
    private static long seed(HttpClient http, String base, long count, int inFlight) throws Exception {
        long started = System.nanoTime();
        String run = java.util.UUID.randomUUID().toString();
        long created = 0;
        List<String> bodies = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (long done = 0; done < count; ) {
            int batch = (int) Math.min(1000, count - done);
            StringBuilder body = new StringBuilder("{\"tasks\":[");
            for (int i = 0; i < batch; i++) {
                long k = done + i;
                body.append(i == 0 ? "" : ",").append("{\"title\":\"seed ").append(k).append("\",\"priority\":\"")
                        .append(PRIORITIES[(int) (k % 4)]).append("\",\"assignee\":\"worker-").append(k % 50).append("\"}");
            }
            bodies.add(body.append("]}").toString());
            keys.add(run + "-" + done);
            done += batch;
            if (bodies.size() >= inFlight || done >= count) {
                while (!bodies.isEmpty()) {
                    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
                    for (int i = 0; i < bodies.size(); i++) {
                        sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/v1/tasks/bulk"))
                                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                                .header("Idempotency-Key", keys.get(i)).POST(HttpRequest.BodyPublishers.ofString(bodies.get(i))).build(),
                                HttpResponse.BodyHandlers.ofString()));
                    }
                    List<String> againBodies = new ArrayList<>();
                    List<String> againKeys = new ArrayList<>();
                    for (int i = 0; i < sent.size(); i++) {
                        HttpResponse<String> r = sent.get(i).get();
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("bulk create answered " + r.statusCode() + ": " + r.body());
                        }
                        if (r.body().contains("\"status\":504")) {
                            againBodies.add(bodies.get(i));
                            againKeys.add(keys.get(i));
                        } else {
                            created += r.body().split("\"status\":201", -1).length - 1;
                        }
                    }
                    bodies = againBodies;
                    keys = againKeys;
                }
            }
        }
        if (count > 0) {
            System.err.printf(Locale.ROOT, "seeded %d tasks in %.1f s%n", created, (System.nanoTime() - started) / 1e9);
        }
        return created;
    }

    private static long total(String statsBody) {
        Matcher m = TOTAL.matcher(statsBody);
        if (!m.find()) {
            throw new IllegalStateException("no total in " + statsBody);
        }
        return Long.parseLong(m.group(1));
    }

    private static String send(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(request.uri() + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return new String(r.body(), StandardCharsets.UTF_8);
    }
}
