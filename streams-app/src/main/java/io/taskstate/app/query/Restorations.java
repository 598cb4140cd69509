package io.taskstate.app.query;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which store partitions of this instance are being restored from their changelogs right now. A
 * store is not answered from while it is restoring (after a crash Kafka Streams wipes and rebuilds
 * it, and a read in between would see part of the past), and readiness waits for all of them.
 */
public final class Restorations implements StateRestoreListener {
    private static final Logger log = LoggerFactory.getLogger(Restorations.class);

    private final Set<String> restoring = ConcurrentHashMap.newKeySet();

    public boolean restoring(String store, int partition) {
        return restoring.contains(store + "/" + partition);
    }

    public boolean any() {
        return !restoring.isEmpty();
    }

    @Override
    public void onRestoreStart(TopicPartition changelog, String store, long startingOffset, long endingOffset) {
        restoring.add(store + "/" + changelog.partition());
        log.info("Restoring store {} of partition {}: {} records", store, changelog.partition(), endingOffset - startingOffset);
    }

    @Override
    public void onBatchRestored(TopicPartition changelog, String store, long batchEndOffset, long numRestored) {
        // progress is reported when the store is done
    }

    @Override
    public void onRestoreEnd(TopicPartition changelog, String store, long totalRestored) {
        restoring.remove(store + "/" + changelog.partition());
        log.info("Restored store {} of partition {}: {} records", store, changelog.partition(), totalRestored);
    }

    @Override
    public void onRestoreSuspended(TopicPartition changelog, String store, long totalRestored) {
        restoring.remove(store + "/" + changelog.partition());
    }
}
