package io.taskstate.app.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which store partitions of this instance are being restored from their changelogs right now, and
 * how far along that is. A store is not answered from while it is restoring (after a crash Kafka
 * Streams wipes and rebuilds it, and a read in between would see part of the past), and readiness
 * waits for all of them. Progress (percent, records per second, time left) is logged on the first
 * batch, then at most every {@link #LOG_INTERVAL}, and shown by {@code /health/ready} meanwhile.
 */
public final class Restorations implements StateRestoreListener {
    private static final Logger log = LoggerFactory.getLogger(Restorations.class);
    /** The longest gap between two progress lines in the log while restoring. */
    public static final Duration LOG_INTERVAL = Duration.ofSeconds(5);

    /** One store partition of the current restore: records to restore and restored so far. */
    private static final class Store {
        final long total;
        long restored;
        volatile boolean done;

        Store(long total) {
            this.total = total;
        }
    }

    /**
     * How far the current restore is, over every store partition restored since it began.
     *
     * @param stores           store partitions still restoring
     * @param recordsTotal     changelog records to restore (offsets, so an upper bound: compaction leaves gaps)
     * @param recordsPerSecond records restored per second since the restore began
     * @param etaSeconds       time left at that rate; null before any record is restored
     */
    public record Progress(int stores, long recordsTotal, long recordsRestored, double percent, double recordsPerSecond,
                           Double etaSeconds) {
        static Progress of(int stores, long total, long restored, Duration elapsed) {
            double percent = total == 0 ? 100.0 : Math.min(100.0, 100.0 * restored / total);
            double seconds = elapsed.toNanos() / 1e9;
            double rate = seconds <= 0 ? 0.0 : restored / seconds;
            Double eta = rate <= 0 ? null : Math.max(0, total - restored) / rate;
            return new Progress(stores, total, restored, round(percent), round(rate), eta == null ? null : round(eta));
        }

        private static double round(double value) {
            return Math.round(value * 10) / 10.0;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%.1f%% (%d of %d records; store partitions left: %d), %.0f records/s, ETA %s",
                    percent, recordsRestored, recordsTotal, stores, recordsPerSecond,
                    etaSeconds == null ? "unknown" : Math.round(etaSeconds) + " s");
        }
    }

    private final Clock clock;
    private final Map<String, Store> stores = new ConcurrentHashMap<>();
    private Instant began;
    private Instant lastLogged;

    public Restorations() {
        this(Clock.systemUTC());
    }

    /** @param clock for rates and the log interval */
    public Restorations(Clock clock) {
        this.clock = clock;
    }

    public boolean restoring(String store, int partition) {
        Store s = stores.get(store + "/" + partition);
        return s != null && !s.done;
    }

    public boolean any() {
        return stores.values().stream().anyMatch(s -> !s.done);
    }

    /** The current restore's progress; empty when nothing is restoring. */
    public synchronized Optional<Progress> progress() {
        if (!any()) {
            return Optional.empty();
        }
        long total = 0;
        long restored = 0;
        int left = 0;
        for (Store s : stores.values()) {
            total += s.total;
            restored += s.done ? s.total : Math.min(s.restored, s.total);
            left += s.done ? 0 : 1;
        }
        return Optional.of(Progress.of(left, total, restored, Duration.between(began, clock.instant())));
    }

    @Override
    public synchronized void onRestoreStart(TopicPartition changelog, String store, long startingOffset, long endingOffset) {
        if (!any()) {
            // a new restore (on start, or after a rebalance): progress counts from here
            stores.clear();
            began = clock.instant();
            lastLogged = null;
        }
        stores.put(store + "/" + changelog.partition(), new Store(Math.max(0, endingOffset - startingOffset)));
        log.debug("Restoring store {} of partition {}: {} records", store, changelog.partition(), endingOffset - startingOffset);
    }

    @Override
    public synchronized void onBatchRestored(TopicPartition changelog, String store, long batchEndOffset, long numRestored) {
        Store s = stores.get(store + "/" + changelog.partition());
        if (s != null) {
            s.restored += numRestored;
        }
        Instant now = clock.instant();
        if (lastLogged == null || !now.isBefore(lastLogged.plus(LOG_INTERVAL))) {
            lastLogged = now;
            progress().ifPresent(p -> log.info("Restoring state: {}", p));
        }
    }

    @Override
    public synchronized void onRestoreEnd(TopicPartition changelog, String store, long totalRestored) {
        finish(store + "/" + changelog.partition());
        log.debug("Restored store {} of partition {}: {} records", store, changelog.partition(), totalRestored);
        if (!any()) {
            long restored = stores.values().stream().mapToLong(s -> s.restored).sum();
            Duration took = Duration.between(began, clock.instant());
            log.info("State restored: {} records in {} ms ({} records/s); the stores answer once Kafka Streams is RUNNING",
                    restored, took.toMillis(), Math.round(Progress.of(0, restored, restored, took).recordsPerSecond()));
        }
    }

    @Override
    public synchronized void onRestoreSuspended(TopicPartition changelog, String store, long totalRestored) {
        finish(store + "/" + changelog.partition());
    }

    private void finish(String key) {
        Store s = stores.get(key);
        if (s != null) {
            s.done = true;
        }
    }
}
