package io.taskstate.benchmarks;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Percentiles of latency samples in nanoseconds, by sorting: with a few hundred thousand samples at
 * most, an exact answer is cheaper than a histogram library. Percentiles use the nearest-rank
 * method: p is the smallest sample with at least p% of the samples at or below it.
 */
final class Stats {
    private static final double NANOS_PER_MS = 1_000_000.0;

    private final long[] sorted;

    Stats(long[] nanos) {
        this.sorted = nanos.clone();
        Arrays.sort(sorted);
    }

    int count() {
        return sorted.length;
    }

    /** The nearest-rank percentile in milliseconds; {@code NaN} when there are no samples. */
    double percentileMs(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / NANOS_PER_MS;
    }

    double maxMs() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / NANOS_PER_MS;
    }

    double minMs() {
        return sorted.length == 0 ? Double.NaN : sorted[0] / NANOS_PER_MS;
    }

    double meanMs() {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (long v : sorted) {
            sum += v;
        }
        return sum / sorted.length / NANOS_PER_MS;
    }

    /** The usual figures, in the order they are printed. */
    Map<String, String> figures() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("p50_ms", ms(percentileMs(50)));
        f.put("p90_ms", ms(percentileMs(90)));
        f.put("p99_ms", ms(percentileMs(99)));
        f.put("p999_ms", ms(percentileMs(99.9)));
        f.put("max_ms", ms(maxMs()));
        f.put("mean_ms", ms(meanMs()));
        return f;
    }

    /**
     * How many samples fall in each latency band, as {@code le_1ms=...} style fields (each band
     * counts samples above the previous bound and at or below its own), to show the shape of the
     * distribution: a pile-up at a timer's period shows here when percentiles alone hide it.
     */
    Map<String, String> bands() {
        long[] boundsMs = {1, 2, 5, 10, 15, 20, 50, 100, 200, 500, 1000};
        Map<String, String> b = new LinkedHashMap<>();
        int i = 0;
        for (long bound : boundsMs) {
            long limit = bound * 1_000_000L;
            int n = 0;
            while (i < sorted.length && sorted[i] <= limit) {
                i++;
                n++;
            }
            b.put("le_" + bound + "ms", Integer.toString(n));
        }
        b.put("gt_" + boundsMs[boundsMs.length - 1] + "ms", Integer.toString(sorted.length - i));
        return b;
    }

    static String ms(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.3f", v);
    }

    static String num(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** One result line: {@code key=value} fields separated by single spaces. */
    static String line(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder();
        fields.forEach((k, v) -> {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(k).append('=').append(v);
        });
        return sb.toString();
    }

    /** A growable array of longs, one per thread, so recording a sample neither boxes nor locks. */
    static final class Samples {
        private long[] values = new long[1 << 14];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int size() {
            return size;
        }

        static long[] concat(Iterable<Samples> all) {
            int total = 0;
            for (Samples s : all) {
                total += s.size;
            }
            long[] out = new long[total];
            int at = 0;
            for (Samples s : all) {
                System.arraycopy(s.values, 0, out, at, s.size);
                at += s.size;
            }
            return out;
        }
    }
}
