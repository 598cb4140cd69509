package io.taskstate.benchmarks;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Task;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Time from a dependency's completion to its dependent being claimable. For each of
 * {@code --pairs} pairs, one at a time: a dependency task and a dependent that depends on it,
 * alternately on the same partition and on another one (a dependent is made a subtask of a holder
 * task on the partition wanted); the dependency is claimed and completed, and from the moment the
 * completion's reply arrives the dependent is claimed in a loop until a claim succeeds. The
 * latency is that success minus the completion's reply, so it includes one claim round trip (the
 * same-partition figure is about that alone: the dependent is ready in the completion's own step).
 * Prints one {@code key=value} line with p50 / p99 / max per kind and the claims refused on the way.
 *
 * <p>This is a measurement, not a test: it asserts nothing about speed.
 */
public final class DependencyReady {
    private static final String USAGE = """
            usage: DependencyReady [--bootstrap HOST:PORT] [--base-url URL] [--partitions N] [--pairs N] [--warmup N] [--run LABEL]
              --partitions  the server's TASKSTATE_PARTITIONS (default 6)
              --pairs       measured pairs, half same-partition, half cross-partition (default 400)
              --warmup      pairs run first and not counted (default 40)""";

    private DependencyReady() {
    }

    public static void main(String[] argv) {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--partitions", "--pairs", "--warmup", "--run");
        int partitions = args.getInt("--partitions", 6);
        int pairs = args.getInt("--pairs", 400);
        int warmup = args.getInt("--warmup", 40);
        String tag = "dep-bench-" + UUID.randomUUID().toString().substring(0, 8);
        try (TaskStateClient client = TaskStateClient.builder().bootstrapServers(args.get("--bootstrap", "127.0.0.1:9092"))
                .baseUrl(args.get("--base-url", "http://127.0.0.1:8080"))
                .clientId("bench-dependency-" + ProcessHandle.current().pid()).timeout(Duration.ofSeconds(30)).build()) {
            Map<Integer, Task> holders = new HashMap<>();
            while (holders.size() < partitions) {
                Task t = client.createTask(NewTask.titled(tag + " holder").status(io.taskstate.protocol.TaskStatus.BLOCKED));
                holders.putIfAbsent(Partitioning.partitionOfTask(t.id(), partitions), t);
            }
            Stats.Samples local = new Stats.Samples();
            Stats.Samples cross = new Stats.Samples();
            long refused = 0;
            for (int i = 0; i < warmup + pairs; i++) {
                boolean samePartitionPair = i % 2 == 0;
                Task dependency = client.createTask(NewTask.titled(tag + " dependency " + i));
                int home = dependency.partition(partitions);
                int target = samePartitionPair ? home : (home + 1 + i / 2 % (partitions - 1)) % partitions;
                Task dependent = client.createTask(NewTask.titled(tag + " dependent " + i).parent(holders.get(target).id())
                        .dependsOn(List.of(dependency.id())));
                client.claim(dependency.id(), "bench-a");
                client.complete(dependency.id(), "bench-a");
                long completed = System.nanoTime();
                while (true) {
                    try {
                        client.claim(dependent.id(), "bench-b");
                        break;
                    } catch (TaskStateException.Conflict notYet) {
                        refused++;
                    }
                }
                long claimable = System.nanoTime() - completed;
                if (i >= warmup) {
                    (samePartitionPair ? local : cross).add(claimable);
                }
            }
            Stats l = new Stats(Stats.Samples.concat(List.of(local)));
            Stats c = new Stats(Stats.Samples.concat(List.of(cross)));
            Map<String, String> line = new LinkedHashMap<>();
            line.put("bench", "dependency_ready");
            line.put("run", args.get("--run", "1"));
            line.put("pairs", Integer.toString(pairs));
            line.put("cross_p50_ms", Stats.ms(c.percentileMs(50)));
            line.put("cross_p99_ms", Stats.ms(c.percentileMs(99)));
            line.put("cross_max_ms", Stats.ms(c.maxMs()));
            line.put("local_p50_ms", Stats.ms(l.percentileMs(50)));
            line.put("local_p99_ms", Stats.ms(l.percentileMs(99)));
            line.put("local_max_ms", Stats.ms(l.maxMs()));
            line.put("claims_refused", Long.toString(refused));
            System.out.println(Stats.line(line));
        }
    }
}
