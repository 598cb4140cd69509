package io.taskstate.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

/**
 * Latency of a filtered first page, {@code GET /api/v1/tasks?status=pending&limit=100}, which every
 * instance answers by asking every partition: locally for its own, over HTTP from the instance that
 * owns each of the others. One caller at a time, so the figure is the fan-out's own cost, not
 * queueing. Run it against one instance, then against the same store spread over three, to see
 * what the hops between instances add. Prints one {@code key=value} result line.
 */
public final class FanOutLatency {
    private static final String USAGE = """
            usage: FanOutLatency [--base-url URL] [--path PATH] [--warmup N] [--n N] [--instances N] [--run LABEL]
              --base-url  HTTP API of the instance asked (default http://127.0.0.1:8080)
              --path      the query (default /api/v1/tasks?status=pending&limit=100)
              --warmup    requests before measuring, discarded (default 200)
              --n         measured requests (default 2000)
              --instances how many instances share the partitions, printed as instances=... (default 1)
              --run       label printed as run=... (default 1)""";

    private FanOutLatency() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--base-url", "--path", "--warmup", "--n", "--instances", "--run");
        URI uri = URI.create(args.get("--base-url", "http://127.0.0.1:8080")
                + args.get("--path", "/api/v1/tasks?status=pending&limit=100"));
        int warmup = args.getInt("--warmup", 200);
        int n = args.getInt("--n", 2000);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build();
        for (int i = 0; i < warmup; i++) {
            send(http, request);
        }
        long[] nanos = new long[n];
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            bytes += send(http, request);
            nanos[i] = System.nanoTime() - start;
        }
        Stats stats = new Stats(nanos);
        System.out.printf(Locale.ROOT, "bench=fanout tool=instances-%d run=%s n=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_bytes=%d%n",
                args.getInt("--instances", 1), args.get("--run", "1"), n, stats.percentileMs(50), stats.percentileMs(90),
                stats.percentileMs(99), stats.percentileMs(100), bytes / Math.max(1, n));
    }

    private static long send(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(request.uri() + " answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return r.body().length;
    }
}
