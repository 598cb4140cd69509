package io.taskstate.app.query;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Restore progress: percent, rate and time left over every store partition of one restore, and how often it is logged. */
class RestorationsTest {
    private static final TopicPartition P0 = new TopicPartition("app-tasks-changelog", 0);
    private static final TopicPartition P1 = new TopicPartition("app-tasks-changelog", 1);

    private final MutableClock clock = new MutableClock();
    private final Restorations restorations = new Restorations(clock);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(Restorations.class);

    @BeforeEach
    void capture() {
        logged.start();
        logger.addAppender(logged);
        logger.setLevel(Level.INFO);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
        logger.setLevel(null);
    }

    @Test
    void progress_sums_every_store_partition_of_the_restore() {
        restorations.onRestoreStart(P0, "tasks", 100, 1100);
        restorations.onRestoreStart(P1, "tasks", 0, 3000);
        clock.advance(Duration.ofSeconds(2));
        restorations.onBatchRestored(P0, "tasks", 600, 500);
        restorations.onBatchRestored(P1, "tasks", 1500, 1500);

        Restorations.Progress p = restorations.progress().orElseThrow();

        assertThat(p.stores()).isEqualTo(2);
        assertThat(p.recordsTotal()).isEqualTo(4000);
        assertThat(p.recordsRestored()).isEqualTo(2000);
        assertThat(p.percent()).isEqualTo(50.0);
        assertThat(p.recordsPerSecond()).isEqualTo(1000.0);
        assertThat(p.etaSeconds()).isEqualTo(2.0);
    }

    @Test
    void a_finished_store_counts_in_full_and_no_longer_blocks_reads() {
        restorations.onRestoreStart(P0, "tasks", 0, 1000);
        restorations.onRestoreStart(P1, "tasks", 0, 1000);
        clock.advance(Duration.ofSeconds(1));
        restorations.onBatchRestored(P0, "tasks", 1000, 1000);
        restorations.onRestoreEnd(P0, "tasks", 1000);

        Restorations.Progress p = restorations.progress().orElseThrow();

        assertThat(restorations.restoring("tasks", 0)).isFalse();
        assertThat(restorations.restoring("tasks", 1)).isTrue();
        assertThat(p.stores()).isEqualTo(1);
        assertThat(p.percent()).isEqualTo(50.0);
    }

    @Test
    void before_any_record_the_time_left_is_unknown() {
        restorations.onRestoreStart(P0, "tasks", 0, 1000);

        Restorations.Progress p = restorations.progress().orElseThrow();

        assertThat(p.percent()).isEqualTo(0.0);
        assertThat(p.etaSeconds()).isNull();
        assertThat(p.toString()).contains("0.0%", "ETA unknown");
    }

    @Test
    void when_every_store_is_restored_there_is_no_progress_and_the_next_restore_counts_afresh() {
        restorations.onRestoreStart(P0, "tasks", 0, 1000);
        restorations.onBatchRestored(P0, "tasks", 1000, 1000);
        restorations.onRestoreEnd(P0, "tasks", 1000);
        assertThat(restorations.progress()).isEmpty();
        assertThat(restorations.any()).isFalse();

        restorations.onRestoreStart(P1, "tasks", 0, 10);

        assertThat(restorations.progress().orElseThrow().recordsTotal()).isEqualTo(10);
    }

    @Test
    void progress_is_logged_on_the_first_batch_then_at_most_every_interval() {
        restorations.onRestoreStart(P0, "tasks", 0, 10_000);
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(1));
            restorations.onBatchRestored(P0, "tasks", (i + 1) * 1000L, 1000);
        }
        restorations.onRestoreEnd(P0, "tasks", 10_000);

        List<String> progressLines = lines("Restoring state: ");

        // batches at 1..10 s: logged at 1, 6 (5 s later); not at the others
        assertThat(progressLines).hasSize(2);
        assertThat(progressLines.get(0)).contains("10.0%", "1000 of 10000 records", "1000 records/s", "ETA 9 s");
        assertThat(progressLines.get(1)).contains("60.0%", "ETA 4 s");
        assertThat(lines("State restored: ")).singleElement().asString().contains("10000 records in 10000 ms", "1000 records/s");
    }

    private List<String> lines(String prefix) {
        return logged.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith(prefix)).toList();
    }

    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-12-01T10:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
