package io.taskstate.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long the partitions of a killed instance go unanswered. It creates one task per partition
 * through a survivor, then reads each of them in a loop through the survivors, kills the victim
 * with SIGKILL and keeps reading until every partition has answered 200 for {@code --settle-seconds}
 * after its last failure. The window is, over the partitions, the longest time from the kill to a
 * partition's first success after its last failure (0 when nothing failed). Prints one
 * {@code key=value} result line.
 */
public final class FailoverWindow {
    private static final String USAGE = """
            usage: FailoverWindow --urls URL[,URL...] --kill-pid PID [--partitions N] [--settle-seconds S]
                                  [--deadline-seconds S] [--standbys N] [--run LABEL]
              --urls             HTTP APIs of the instances that stay up
              --kill-pid         the process to kill -9 (an instance sharing the partitions)
              --partitions       the app's partition count (default 6)
              --settle-seconds   every partition must answer for this long after its last failure (default 3)
              --deadline-seconds give up after this long (default 120)
              --standbys         printed as standbys=... (default 0)
              --run              label printed as run=... (default 1)""";
    private static final Pattern ID = Pattern.compile("\\\"id\\\":(\\d+)");

    private FailoverWindow() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--urls", "--kill-pid", "--partitions", "--settle-seconds",
                "--deadline-seconds", "--standbys", "--run");
        String urls = args.get("--urls", null);
        String pid = args.get("--kill-pid", null);
        if (urls == null || pid == null) {
            System.err.println("--urls and --kill-pid are required\n" + USAGE);
            System.exit(2);
        }
        List<String> survivors = List.of(urls.split(","));
        int partitions = args.getInt("--partitions", 6);
        long settle = Duration.ofSeconds(args.getInt("--settle-seconds", 3)).toNanos();
        long deadline = Duration.ofSeconds(args.getInt("--deadline-seconds", 120)).toNanos();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

        long[] probe = probes(http, survivors.get(0), partitions);
        ProcessHandle victim = ProcessHandle.of(Long.parseLong(pid))
                .orElseThrow(() -> new IllegalArgumentException("no process " + pid));

        long[] lastFailure = new long[partitions];
        long[] firstSuccessAfter = new long[partitions];
        java.util.Arrays.fill(lastFailure, -1);
        AtomicLong reads = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        ConcurrentHashMap<Integer, Integer> statuses = new ConcurrentHashMap<>();
        long killedAt = System.nanoTime();
        victim.destroyForcibly();
        int next = 0;
        while (true) {
            long now = System.nanoTime();
            if (now - killedAt > deadline) {
                throw new IllegalStateException("partitions still failing " + Duration.ofNanos(deadline).toSeconds() + " s after the kill");
            }
            int p = next % partitions;
            String via = survivors.get((next / partitions) % survivors.size());
            next++;
            int status = get(http, via + "/api/v1/tasks/" + probe[p]);
            long at = System.nanoTime() - killedAt;
            reads.incrementAndGet();
            statuses.merge(status, 1, Integer::sum);
            if (status != 200) {
                failures.incrementAndGet();
                lastFailure[p] = at;
                firstSuccessAfter[p] = -1;
            } else if (lastFailure[p] >= 0 && firstSuccessAfter[p] < 0) {
                firstSuccessAfter[p] = at;
            }
            if (settled(lastFailure, firstSuccessAfter, at, settle)) {
                break;
            }
        }
        long window = 0;
        for (int p = 0; p < partitions; p++) {
            if (lastFailure[p] >= 0) {
                window = Math.max(window, firstSuccessAfter[p]);
            }
        }
        System.out.printf(Locale.ROOT, "bench=failover tool=standbys-%d run=%s window_ms=%.0f reads=%d failed_reads=%d statuses=%s%n",
                args.getInt("--standbys", 0), args.get("--run", "1"), window / 1e6, reads.get(), failures.get(),
                statuses.toString().replace(" ", ""));
    }

    /** Every partition has answered since its last failure, and for {@code settle} since the kill at least. */
    private static boolean settled(long[] lastFailure, long[] firstSuccessAfter, long now, long settle) {
        if (now < settle) {
            return false;
        }
        for (int p = 0; p < lastFailure.length; p++) {
            if (lastFailure[p] >= 0 && (firstSuccessAfter[p] < 0 || now - lastFailure[p] < settle)) {
                return false;
            }
        }
        return true;
    }

    /** One task on each partition: root creates land on the partition their command id hashes to, so create until all are hit. */
    private static long[] probes(HttpClient http, String url, int partitions) throws Exception {
        long[] probe = new long[partitions];
        List<Integer> missing = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            missing.add(p);
        }
        for (int i = 0; i < 50 * partitions && !missing.isEmpty(); i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/tasks"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"failover probe " + i + "\"}", StandardCharsets.UTF_8))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Matcher m = ID.matcher(r.body());
            if (r.statusCode() == 201 && m.find()) {
                long id = Long.parseLong(m.group(1));
                int p = io.taskstate.protocol.Partitioning.partitionOfTask(id, partitions);
                if (missing.remove(Integer.valueOf(p))) {
                    probe[p] = id;
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("could not create a task on partitions " + missing);
        }
        return probe;
    }

    private static int get(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
