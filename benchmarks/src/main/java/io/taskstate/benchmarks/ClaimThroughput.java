package io.taskstate.benchmarks;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Workers draining a queue: each of {@code --workers} threads loops {@code claimNext} then
 * {@code complete} until no task of this run is left. Reports claims/s over the drain, the
 * latency of {@code claimNext} (call to answer) and of a whole claim-and-complete cycle, and the
 * number of tasks handed out twice (which must be 0). Prints one {@code key=value} line.
 *
 * <p>This is a measurement, not a test: it asserts nothing about speed.
 */
public final class ClaimThroughput {
    private static final String USAGE = """
            usage: ClaimThroughput [--bootstrap HOST:PORT] [--base-url URL] [--workers N] [--tasks N] [--priority P] [--run LABEL]
              --workers  concurrent worker threads, each with its own client (default 16)
              --tasks    tasks to create and drain, mixed priorities (default 5000)
              --priority every task of this priority instead, and each claim filtered to it""";

    private ClaimThroughput() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--workers", "--tasks", "--priority", "--run");
        String bootstrap = args.get("--bootstrap", "127.0.0.1:9092");
        String baseUrl = args.get("--base-url", "http://127.0.0.1:8080");
        int workers = args.getInt("--workers", 16);
        int tasks = args.getInt("--tasks", 5000);
        String run = args.get("--run", "1");
        String tag = "claim-bench-" + UUID.randomUUID().toString().substring(0, 8);
        String priority = args.get("--priority", null);
        Priority only = priority == null ? null : Priority.parse(priority).orElseThrow(
                () -> new IllegalArgumentException("--priority must be one of " + Priority.VALID));
        ClaimFilter mine = ClaimFilter.ANY.titleContains(tag).priority(only);

        try (TaskStateClient seeder = client(bootstrap, baseUrl, "seed")) {
            List<CompletableFuture<Task>> creates = new ArrayList<>();
            Priority[] priorities = only == null ? Priority.values() : new Priority[] {only};
            for (int i = 0; i < tasks; i++) {
                creates.add(seeder.createTaskAsync(NewTask.titled(tag + " " + i).priority(priorities[i % priorities.length])));
                if (creates.size() % 500 == 0) {
                    CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).join();
                }
            }
            CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).join();
        }

        Set<Long> seen = ConcurrentHashMap.newKeySet();
        List<Stats.Samples> claimSamples = new ArrayList<>();
        List<Stats.Samples> cycleSamples = new ArrayList<>();
        int[] doubles = new int[1];
        List<Thread> threads = new ArrayList<>();
        List<TaskStateClient> clients = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            TaskStateClient client = client(bootstrap, baseUrl, "w" + w);
            clients.add(client);
            Stats.Samples claims = new Stats.Samples();
            Stats.Samples cycles = new Stats.Samples();
            claimSamples.add(claims);
            cycleSamples.add(cycles);
            String worker = "bench-worker-" + w;
            threads.add(new Thread(() -> {
                while (true) {
                    long start = System.nanoTime();
                    Optional<Task> next = client.claimNext(worker, mine);
                    long claimed = System.nanoTime();
                    if (next.isEmpty()) {
                        if (seen.size() >= tasks) {
                            return;
                        }
                        continue;
                    }
                    if (!seen.add(next.get().id())) {
                        synchronized (doubles) {
                            doubles[0]++;
                        }
                    }
                    client.complete(next.get().id(), worker);
                    claims.add(claimed - start);
                    cycles.add(System.nanoTime() - start);
                }
            }, worker));
        }
        long drainStart = System.nanoTime();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - drainStart) / 1e9;
        clients.forEach(TaskStateClient::close);

        Stats claim = new Stats(Stats.Samples.concat(claimSamples));
        Stats cycle = new Stats(Stats.Samples.concat(cycleSamples));
        Map<String, String> line = new LinkedHashMap<>();
        line.put("bench", "claim_throughput");
        line.put("run", run);
        line.put("workers", Integer.toString(workers));
        line.put("tasks", Integer.toString(tasks));
        line.put("priority", only == null ? "mixed" : only.wire());
        line.put("claimed", Integer.toString(claim.count()));
        line.put("double_claims", Integer.toString(doubles[0]));
        line.put("claims_per_s", Stats.num(claim.count() / seconds, 1));
        line.put("claim_p50_ms", Stats.ms(claim.percentileMs(50)));
        line.put("claim_p99_ms", Stats.ms(claim.percentileMs(99)));
        line.put("cycle_p50_ms", Stats.ms(cycle.percentileMs(50)));
        line.put("cycle_p99_ms", Stats.ms(cycle.percentileMs(99)));
        line.put("drain_s", Stats.num(seconds, 1));
        System.out.println(Stats.line(line));
    }

    private static TaskStateClient client(String bootstrap, String baseUrl, String name) {
        return TaskStateClient.builder().bootstrapServers(bootstrap).baseUrl(baseUrl)
                .clientId("bench-claim-" + ProcessHandle.current().pid() + "-" + name)
                .timeout(Duration.ofSeconds(30)).build();
    }

}
