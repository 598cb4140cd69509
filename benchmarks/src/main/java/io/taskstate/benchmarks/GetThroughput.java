package io.taskstate.benchmarks;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Task;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop throughput of {@code GET /api/v1/tasks/{id}}: {@code --threads} threads, each sending
 * the next request as soon as the previous answer is read, over a fixed set of task ids picked at
 * random. They share one {@link HttpClient} forced to HTTP/1.1, whose pool then holds one kept-alive
 * connection per thread ({@code --client per-thread} gives each thread its own client instead; on a
 * 2-core machine the 16 selector threads that brings cost the server about half its throughput).
 * It runs a warm-up, then measures for a fixed time and prints one {@code key=value} result line.
 *
 * <p>The ids come from {@code --ids-file} when it exists (one id a line); otherwise {@code --tasks}
 * tasks are created through the SDK first and, when {@code --ids-file} is given, written there, so
 * later runs and {@code wrk} read the same tasks. {@code --seed-only} stops after that.
 *
 * <p>To show the connections were kept alive, the line carries {@code estab_conns}: the client-side
 * ESTABLISHED TCP connections to the HTTP port, sampled from {@code /proc/net/tcp*} half-way through
 * the measurement (it should equal {@code --threads}), and {@code time_wait_new}: how many more
 * TIME_WAIT sockets on that port there were at the end than at the start (near 0 when nothing
 * reconnects). Both are -1 where {@code /proc} is not readable.
 */
public final class GetThroughput {
    private static final String USAGE = """
            usage: GetThroughput [--bootstrap HOST:PORT] [--base-url URL] [--threads N] [--tasks N]
                                 [--ids-file FILE] [--seed-only] [--warmup-seconds S] [--seconds S]
                                 [--client shared|per-thread] [--run LABEL]
              --bootstrap       Kafka of the server, to create tasks (default 127.0.0.1:9092)
              --base-url        HTTP API of the server (default http://127.0.0.1:8080)
              --threads         concurrent closed-loop callers, one kept-alive connection each (default 16)
              --client          shared: one HTTP/1.1 HttpClient for all threads, which pools one
                                connection per thread (default); per-thread: a client per thread,
                                each with its own selector thread (costs far more CPU on 2 cores)
              --tasks           tasks to create when there is no ids file (default 1000)
              --ids-file        read task ids from here if it exists, else write the created ones here
              --seed-only       create (or check) the ids and stop
              --warmup-seconds  requests before measuring, discarded (default 5)
              --seconds         measured time (default 20)
              --run             label printed as run=... (default 1)""";

    private static final int PHASE_WARMUP = 0;
    private static final int PHASE_MEASURE = 1;
    private static final int PHASE_STOP = 2;

    private static volatile int phase = PHASE_WARMUP;

    private GetThroughput() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--threads", "--tasks", "--ids-file",
                "--seed-only!", "--warmup-seconds", "--seconds", "--run", "--client");
        String bootstrap = args.get("--bootstrap", "127.0.0.1:9092");
        String baseUrl = args.get("--base-url", "http://127.0.0.1:8080").replaceAll("/+$", "");
        int threads = args.getInt("--threads", 16);
        int tasks = args.getInt("--tasks", 1000);
        String idsFile = args.get("--ids-file", null);
        double warmupSeconds = args.getDouble("--warmup-seconds", 5);
        double seconds = args.getDouble("--seconds", 20);
        String run = args.get("--run", "1");

        List<Long> ids = ids(idsFile == null ? null : Path.of(idsFile), tasks, bootstrap, baseUrl);
        List<HttpRequest> requests = new ArrayList<>(ids.size());
        for (long id : ids) {
            requests.add(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/tasks/" + id))
                    .header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(10))
                    .GET()
                    .build());
        }
        String clientMode = args.get("--client", "shared");
        if (!clientMode.equals("shared") && !clientMode.equals("per-thread")) {
            throw new IllegalArgumentException("--client must be shared or per-thread, got " + clientMode);
        }
        List<HttpClient> clients = new ArrayList<>();
        for (int t = 0; t < Math.max(1, threads); t++) {
            clients.add(clientMode.equals("shared") && t > 0 ? clients.get(0) : HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build());
        }
        checkReadable(clients.get(0), requests); // on a worker's client, so its connection is the one that worker reuses
        if (args.flag("--seed-only")) {
            System.err.println("get_throughput: " + ids.size() + " task ids ready" + (idsFile == null ? "" : " in " + idsFile));
            return;
        }
        int port = URI.create(baseUrl).getPort();

        List<Stats.Samples> samples = new ArrayList<>();
        AtomicLong errors = new AtomicLong();
        AtomicLong warmupRequests = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Stats.Samples mine = new Stats.Samples();
            samples.add(mine);
            HttpClient http = clients.get(t);
            Thread worker = new Thread(() -> work(http, requests, mine, errors, warmupRequests, firstError),
                    "get-worker-" + t);
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);

        Thread.sleep((long) (warmupSeconds * 1000));
        int timeWaitBefore = countSockets(port, "06", false);
        phase = PHASE_MEASURE;
        long start = System.nanoTime();
        Thread.sleep((long) (seconds * 500));
        int established = countSockets(port, "01", true);
        Thread.sleep((long) (seconds * 500));
        phase = PHASE_STOP;
        long elapsed = System.nanoTime() - start;
        int timeWaitAfter = countSockets(port, "06", false);
        for (Thread w : workers) {
            w.join(15_000);
        }

        Stats stats = new Stats(Stats.Samples.concat(samples));
        Map<String, String> line = new LinkedHashMap<>();
        line.put("bench", "get_throughput");
        line.put("tool", "java-httpclient");
        line.put("run", run);
        line.put("threads", Integer.toString(threads));
        line.put("client", clientMode);
        line.put("ids", Integer.toString(ids.size()));
        line.put("duration_s", Stats.num(elapsed / 1e9, 1));
        line.put("n", Integer.toString(stats.count()));
        line.put("errors", Long.toString(errors.get()));
        line.put("rps", Stats.num(stats.count() / (elapsed / 1e9), 1));
        line.putAll(stats.figures());
        line.put("estab_conns", Integer.toString(established));
        line.put("time_wait_new", Integer.toString(timeWaitBefore < 0 || timeWaitAfter < 0 ? -1
                : Math.max(0, timeWaitAfter - timeWaitBefore)));
        System.out.println(Stats.line(line));
        System.err.printf("get_throughput run %s: %d warm-up requests discarded; bands: %s%n", run,
                warmupRequests.get(), Stats.line(stats.bands()));
        if (firstError.get() != null) {
            System.err.println("get_throughput run " + run + " first error: " + firstError.get());
        }
    }

    private static void work(HttpClient http, List<HttpRequest> requests, Stats.Samples samples, AtomicLong errors,
                             AtomicLong warmupRequests, AtomicReference<String> firstError) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (phase != PHASE_STOP) {
            HttpRequest request = requests.get(random.nextInt(requests.size()));
            long t0 = System.nanoTime();
            boolean ok;
            try {
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                ok = response.statusCode() == 200 && response.body().length > 0;
                if (!ok) {
                    firstError.compareAndSet(null, "HTTP " + response.statusCode() + " for " + request.uri() + ": "
                            + new String(response.body(), StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                ok = false;
                firstError.compareAndSet(null, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long latency = System.nanoTime() - t0;
            int now = phase;
            if (now == PHASE_MEASURE) {
                if (ok) {
                    samples.add(latency);
                } else {
                    errors.incrementAndGet();
                }
            } else if (now == PHASE_WARMUP) {
                warmupRequests.incrementAndGet();
            }
        }
    }

    /** The ids from {@code file} if it exists, else {@code count} new tasks (written to {@code file} if given). */
    private static List<Long> ids(Path file, int count, String bootstrap, String baseUrl) throws IOException {
        if (file != null && Files.exists(file)) {
            List<Long> ids = new ArrayList<>();
            for (String l : Files.readAllLines(file)) {
                if (!l.isBlank()) {
                    ids.add(Long.parseLong(l.trim()));
                }
            }
            if (ids.isEmpty()) {
                throw new IllegalStateException(file + " holds no task ids");
            }
            return ids;
        }
        List<Long> ids = new ArrayList<>(count);
        long t0 = System.nanoTime();
        try (TaskStateClient client = TaskStateClient.builder().bootstrapServers(bootstrap).baseUrl(baseUrl)
                .clientId("bench-seed-" + ProcessHandle.current().pid()).build()) {
            Semaphore inFlight = new Semaphore(64);
            List<CompletableFuture<Task>> created = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                inFlight.acquireUninterruptibly();
                CompletableFuture<Task> f = client.createTaskAsync(NewTask.titled("bench get target " + i)
                        .description("a task the GET benchmark reads"));
                f.whenComplete((task, error) -> inFlight.release());
                created.add(f);
            }
            for (CompletableFuture<Task> f : created) {
                ids.add(f.join().id());
            }
        }
        System.err.printf("get_throughput: created %d tasks in %.1f s%n", count, (System.nanoTime() - t0) / 1e9);
        if (file != null) {
            StringBuilder sb = new StringBuilder();
            ids.forEach(id -> sb.append(id).append('\n'));
            Files.writeString(file, sb);
        }
        return ids;
    }

    /** Fails fast if the ids do not answer 200, rather than measuring how fast 404s are. */
    private static void checkReadable(HttpClient http, List<HttpRequest> requests) throws IOException, InterruptedException {
        int step = Math.max(1, requests.size() / 20);
        for (int i = 0; i < requests.size(); i += step) {
            HttpResponse<String> r = http.send(requests.get(i), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + requests.get(i).uri() + " answered " + r.statusCode() + ": " + r.body());
            }
        }
    }

    /**
     * TCP sockets in {@code state} (hex, as in /proc: 01 ESTABLISHED, 06 TIME_WAIT) whose remote port
     * is {@code port} ({@code clientSideOnly}) or whose local or remote port is; -1 if /proc is unreadable.
     */
    static int countSockets(int port, String state, boolean clientSideOnly) {
        int count = 0;
        boolean readAny = false;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(table));
            } catch (IOException | UncheckedIOException e) {
                continue;
            }
            readAny = true;
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).trim().split("\\s+");
                if (f.length < 4 || !f[3].equals(state)) {
                    continue;
                }
                int local = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16);
                int remote = Integer.parseInt(f[2].substring(f[2].lastIndexOf(':') + 1), 16);
                if (remote == port || (!clientSideOnly && local == port)) {
                    count++;
                }
            }
        }
        return readAny ? count : -1;
    }
}
