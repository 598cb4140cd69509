package io.taskstate.benchmarks;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The latency of one synchronous {@link TaskStateClient#createTask} at a time: one thread, one
 * client, each call timed with {@link System#nanoTime()} from the call to its return (the app's
 * reply). A warm-up is discarded first. Prints one {@code key=value} result line on stdout and the
 * latency bands on stderr.
 *
 * <p>This is a measurement, not a test: it asserts nothing about speed.
 */
public final class CreateLatency {
    private static final String USAGE = """
            usage: CreateLatency [--bootstrap HOST:PORT] [--base-url URL] [--warmup N] [--n N]
                                 [--warmup-max-seconds S] [--max-seconds S] [--samples-out FILE] [--run LABEL]
              --bootstrap           Kafka of the server (default 127.0.0.1:9092)
              --base-url            HTTP API of the server (default http://127.0.0.1:8080)
              --warmup              creates to discard first (default 2000)
              --n                   creates to measure (default 5000)
              --warmup-max-seconds  stop warming up after this long (default 60)
              --max-seconds         stop measuring after this long and report what was measured,
                                    with truncated=true (default 180)
              --samples-out         also write every measured call as "start_ms latency_ms" (start
                                    relative to the first), to look at the tail over time
              --run                 label printed as run=... (default 1)""";

    private CreateLatency() {
    }

    public static void main(String[] argv) throws IOException {
        Args args = Args.parse(argv, USAGE, "--bootstrap", "--base-url", "--warmup", "--n",
                "--warmup-max-seconds", "--max-seconds", "--samples-out", "--run");
        String bootstrap = args.get("--bootstrap", "127.0.0.1:9092");
        String baseUrl = args.get("--base-url", "http://127.0.0.1:8080");
        int warmup = args.getInt("--warmup", 2000);
        int n = args.getInt("--n", 5000);
        long warmupMaxNanos = (long) (args.getDouble("--warmup-max-seconds", 60) * 1e9);
        long maxNanos = (long) (args.getDouble("--max-seconds", 180) * 1e9);
        String run = args.get("--run", "1");
        String samplesOut = args.get("--samples-out", null);

        try (TaskStateClient client = TaskStateClient.builder()
                .bootstrapServers(bootstrap)
                .baseUrl(baseUrl)
                .clientId("bench-create-" + ProcessHandle.current().pid() + "-" + run)
                .timeout(Duration.ofSeconds(10))
                .build()) {

            long warmupStart = System.nanoTime();
            int warmed = 0;
            int warmupErrors = 0;
            while (warmed < warmup && System.nanoTime() - warmupStart < warmupMaxNanos) {
                try {
                    client.createTask(NewTask.titled("bench warm-up " + warmed));
                } catch (TaskStateException e) {
                    warmupErrors++;
                }
                warmed++;
            }
            double warmupSeconds = (System.nanoTime() - warmupStart) / 1e9;

            long[] latencies = new long[n];
            long[] starts = new long[n];
            int measured = 0;
            int errors = 0;
            String firstError = null;
            long start = System.nanoTime();
            while (measured + errors < n && System.nanoTime() - start < maxNanos) {
                NewTask task = NewTask.titled("bench create " + (measured + errors));
                long t0 = System.nanoTime();
                try {
                    client.createTask(task);
                    latencies[measured] = System.nanoTime() - t0;
                    starts[measured++] = t0;
                } catch (TaskStateException e) {
                    errors++;
                    if (firstError == null) {
                        firstError = e.toString();
                    }
                }
            }
            long elapsed = System.nanoTime() - start;

            long[] samples = Arrays.copyOf(latencies, measured);
            if (samplesOut != null) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < measured; i++) {
                    sb.append(Stats.num((starts[i] - start) / 1e6, 3)).append(' ')
                            .append(Stats.num(latencies[i] / 1e6, 3)).append('\n');
                }
                Files.writeString(Path.of(samplesOut), sb);
            }
            Stats stats = new Stats(samples);
            Map<String, String> line = new LinkedHashMap<>();
            line.put("bench", "create_latency");
            line.put("tool", "sdk");
            line.put("run", run);
            line.put("n", Integer.toString(measured));
            line.put("errors", Integer.toString(errors));
            line.put("warmup_n", Integer.toString(warmed));
            line.put("truncated", Boolean.toString(measured + errors < n));
            line.putAll(stats.figures());
            line.put("throughput_per_s", Stats.num(measured / (elapsed / 1e9), 1));
            System.out.println(Stats.line(line));

            System.err.printf("create_latency run %s: warm-up %d creates in %.1f s (%d errors); measured %d in %.1f s%n",
                    run, warmed, warmupSeconds, warmupErrors, measured, elapsed / 1e9);
            System.err.println("create_latency run " + run + " bands: " + Stats.line(stats.bands()));
            if (firstError != null) {
                System.err.println("create_latency run " + run + " first error: " + firstError);
            }
        }
    }
}
