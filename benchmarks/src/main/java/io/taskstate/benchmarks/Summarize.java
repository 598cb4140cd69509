package io.taskstate.benchmarks;

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
 * numeric figure across its runs.
 */
public final class Summarize {
    /** Fields that label a run rather than measure it. */
    private static final Set<String> LABELS = Set.of("bench", "tool", "run");
    /** Fields that describe the set-up; shown once in the heading, from the first run. */
    private static final List<String> SETUP = List.of("client", "threads", "connections", "ids", "in_flight", "target_rate",
            "workers", "rounds", "timeout_ms", "poll_ms");

    private Summarize() {
    }

    public static void main(String[] args) throws IOException {
        List<String> lines = new ArrayList<>();
        if (args.length == 0) {
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
        for (Map.Entry<String, Map<String, List<Double>>> g : groups.entrySet()) {
            System.out.printf(Locale.ROOT, "%s  (%d runs%s)%n", g.getKey(), runs.get(g.getKey()), setups.get(g.getKey()));
            System.out.printf(Locale.ROOT, "  %-18s %12s   %s%n", "figure", "median", "spread (min - max)");
            for (Map.Entry<String, List<Double>> fig : g.getValue().entrySet()) {
                double[] v = fig.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                boolean counts = Arrays.stream(v).allMatch(x -> x == Math.rint(x));
                System.out.printf(Locale.ROOT, "  %-18s %12s   %s - %s%n", fig.getKey(), fmt(median(v), counts),
                        fmt(v[0], counts), fmt(v[v.length - 1], counts));
            }
            System.out.println();
        }
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
