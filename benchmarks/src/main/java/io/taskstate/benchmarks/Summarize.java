package io.taskstate.benchmarks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads result lines ({@code bench=... tool=... run=... key=value ...}) from the files named, or
 * stdin, and prints for each benchmark and tool the median and the spread (min–max) of every
 * numeric figure across its runs; then the ratios issue 9 asks for, where both sides ran: pipelined
 * commands against Kafka's raw producer, a create's latency against Kafka's own produce-then-consume
 * round trip, {@code GET} by id against a trivial Javalin endpoint.
 * {@code --json FILE} also writes all of it, with the machine's core count, as JSON.
 */
public final class Summarize {
    /** Fields that label a run rather than measure it. */
    private static final Set<String> LABELS = Set.of("bench", "tool", "run");
    /** Fields that describe the set-up; shown once in the heading, from the first run. */
    private static final List<String> SETUP = List.of("client", "threads", "connections", "ids", "in_flight", "target_rate",
            "workers", "rounds", "timeout_ms", "poll_ms");

    private Summarize() {
    }

    public static void main(String[] argv) throws IOException {
        List<String> args = new ArrayList<>(List.of(argv));
        Path jsonOut = null;
        int json = args.indexOf("--json");
        if (json >= 0) {
            jsonOut = Path.of(args.get(json + 1));
            args.subList(json, json + 2).clear();
        }
        List<String> lines = new ArrayList<>();
        if (args.isEmpty()) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                in.lines().forEach(lines::add);
            }
        } else {
            for (String a : args) {
                lines.addAll(Files.readAllLines(Path.of(a)));
            }
        }

        // group -> figure -> values, in first-seen order
        Map<String, Map<String, List<Double>>> groups = new LinkedHashMap<>();
        Map<String, Integer> runs = new LinkedHashMap<>();
        Map<String, String> setups = new LinkedHashMap<>();
        for (String line : lines) {
            if (!line.startsWith("bench=")) {
                continue;
            }
            Map<String, String> f = new LinkedHashMap<>();
            for (String token : line.trim().split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq > 0) {
                    f.put(token.substring(0, eq), token.substring(eq + 1));
                }
            }
            String group = f.get("bench") + " / " + f.getOrDefault("tool", "-");
            runs.merge(group, 1, Integer::sum);
            setups.computeIfAbsent(group, g -> {
                StringBuilder sb = new StringBuilder();
                SETUP.stream().filter(f::containsKey).forEach(k -> sb.append(' ').append(k).append('=').append(f.get(k)));
                return sb.toString();
            });
            Map<String, List<Double>> figures = groups.computeIfAbsent(group, g -> new LinkedHashMap<>());
            f.forEach((k, v) -> {
                if (!LABELS.contains(k) && !SETUP.contains(k)) {
                    double value;
                    try {
                        value = Double.parseDouble(v);
                    } catch (NumberFormatException notNumeric) {
                        return; // e.g. truncated=false: not a figure to summarize
                    }
                    figures.computeIfAbsent(k, x -> new ArrayList<>()).add(value);
                }
            });
        }
        if (groups.isEmpty()) {
            System.out.println("no result lines found");
            return;
        }
        ObjectNode summary = Json.object();
        summary.put("cores", Runtime.getRuntime().availableProcessors());
        ObjectNode out = summary.putObject("benchmarks");
        for (Map.Entry<String, Map<String, List<Double>>> g : groups.entrySet()) {
            System.out.printf(Locale.ROOT, "%s  (%d runs%s)%n", g.getKey(), runs.get(g.getKey()), setups.get(g.getKey()));
            System.out.printf(Locale.ROOT, "  %-22s %12s   %s%n", "figure", "median", "spread (min - max)");
            ObjectNode group = out.putObject(g.getKey());
            group.put("runs", runs.get(g.getKey()));
            group.put("setup", setups.get(g.getKey()).trim());
            ObjectNode figures = group.putObject("figures");
            for (Map.Entry<String, List<Double>> fig : g.getValue().entrySet()) {
                double[] v = fig.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                boolean counts = Arrays.stream(v).allMatch(x -> x == Math.rint(x));
                System.out.printf(Locale.ROOT, "  %-22s %12s   %s - %s%n", fig.getKey(), fmt(median(v), counts),
                        fmt(v[0], counts), fmt(v[v.length - 1], counts));
                figures.putObject(fig.getKey()).put("median", median(v)).put("min", v[0]).put("max", v[v.length - 1]);
            }
            System.out.println();
        }
        ObjectNode ratios = summary.putObject("ratios");
        ratio(groups, ratios, "pipelined_replies_per_kafka_record", "pipelined_commands / -", "replies_per_s",
                "kafka_producer / -", "records_per_s", "pipelined commands replied per second / Kafka producer records per second");
        // EndToEndLatency gives its percentiles in whole ms (often 0 here) and its mean to the microsecond
        ratio(groups, ratios, "create_mean_per_kafka_round_trip", "create_latency / sdk", "mean_ms",
                "kafka_end_to_end / -", "avg_ms", "one-at-a-time create mean / Kafka's produce-then-consume mean");
        ratio(groups, ratios, "get_per_trivial_javalin", "get_throughput / wrk", "rps",
                "javalin_baseline / wrk", "rps", "GET /api/v1/tasks/{id} requests per second / trivial Javalin endpoint's");
        if (jsonOut != null) {
            Files.write(jsonOut, Json.bytes(summary));
            System.out.println("JSON summary: " + jsonOut);
        }
    }

    /** Prints and records {@code top / bottom} of the two medians, when both benchmarks ran. */
    private static void ratio(Map<String, Map<String, List<Double>>> groups, ObjectNode ratios, String name,
                              String topGroup, String topFigure, String bottomGroup, String bottomFigure, String label) {
        List<Double> top = groups.getOrDefault(topGroup, Map.of()).get(topFigure);
        List<Double> bottom = groups.getOrDefault(bottomGroup, Map.of()).get(bottomFigure);
        if (top == null || bottom == null) {
            return;
        }
        double value = median(top.stream().mapToDouble(Double::doubleValue).toArray())
                / median(bottom.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf(Locale.ROOT, "ratio  %-36s %8.3f   (%s, medians)%n", name, value, label);
        ratios.put(name, value);
    }

    static double median(double[] sorted) {
        double[] v = sorted.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Whole numbers (counts) as such, figures with 3 decimals below 100 and 1 above. */
    private static String fmt(double v, boolean counts) {
        if (counts && v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%d", (long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.3f", v);
    }
}
