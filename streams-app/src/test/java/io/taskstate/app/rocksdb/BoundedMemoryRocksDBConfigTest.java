package io.taskstate.app.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BloomFilter;
import org.rocksdb.IndexType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/** The setter on Options prepared as Kafka Streams prepares them, and on a real RocksDB database. */
class BoundedMemoryRocksDBConfigTest {

    private static final long BUDGET = 32L << 20;
    private static final Map<String, Object> CONFIGS = Map.of(BoundedMemoryRocksDBConfig.MEMORY_BYTES, BUDGET);

    @Test
    void every_store_reads_through_the_one_shared_cache_and_write_buffer_manager() {
        BoundedMemoryRocksDBConfig.SharedMemory pool = BoundedMemoryRocksDBConfig.pool(BUDGET);
        try (Options tasks = streamsOptions(); Options index = streamsOptions()) {
            BoundedMemoryRocksDBConfig first = new BoundedMemoryRocksDBConfig();
            BoundedMemoryRocksDBConfig second = new BoundedMemoryRocksDBConfig();
            first.setConfig("tasks", tasks, CONFIGS);
            second.setConfig("task-index", index, CONFIGS);

            for (Options options : new Options[] {tasks, index}) {
                BlockBasedTableConfigWithAccessibleCache table = (BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig();
                assertThat(table.blockCache()).isSameAs(pool.cache());
                assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
                assertThat(table.pinTopLevelIndexAndFilter()).isTrue();
                assertThat(table.indexType()).isEqualTo(IndexType.kTwoLevelIndexSearch);
                assertThat(table.filterPolicy()).isInstanceOf(BloomFilter.class);
                assertThat(options.writeBufferManager()).isSameAs(pool.writeBuffers());
                assertThat(options.maxWriteBufferNumber()).isEqualTo(BoundedMemoryRocksDBConfig.MAX_WRITE_BUFFERS);
                assertThat(options.writeBufferSize()).isEqualTo(BoundedMemoryRocksDBConfig.WRITE_BUFFER_BYTES);
            }
            first.close("tasks", tasks);
            second.close("task-index", index);
        }
    }

    @Test
    void closing_a_store_leaves_the_shared_cache_open_for_the_others() {
        BoundedMemoryRocksDBConfig.SharedMemory pool = BoundedMemoryRocksDBConfig.pool(BUDGET);
        try (Options options = streamsOptions()) {
            BoundedMemoryRocksDBConfig setter = new BoundedMemoryRocksDBConfig();
            setter.setConfig("tasks", options, CONFIGS);
            BloomFilter filter = (BloomFilter) ((BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig()).filterPolicy();

            setter.close("tasks", options);

            assertThat(filter.isOwningHandle()).as("the store's own filter is closed").isFalse();
            assertThat(pool.cache().isOwningHandle()).isTrue();
            assertThat(pool.writeBuffers().isOwningHandle()).isTrue();
            assertThat(BoundedMemoryRocksDBConfig.pool(BUDGET)).isSameAs(pool);
        }
    }

    @Test
    void a_database_charges_its_memtable_to_the_shared_cache(@TempDir Path dir) throws RocksDBException {
        long budget = 16L << 20;
        BoundedMemoryRocksDBConfig.SharedMemory pool = BoundedMemoryRocksDBConfig.pool(budget);
        long before = pool.cache().getUsage();
        BoundedMemoryRocksDBConfig setter = new BoundedMemoryRocksDBConfig();
        try (Options options = streamsOptions().setCreateIfMissing(true)) {
            setter.setConfig("tasks", options, Map.of(BoundedMemoryRocksDBConfig.MEMORY_BYTES, String.valueOf(budget)));
            try (RocksDB db = RocksDB.open(options, dir.toString())) {
                for (int i = 0; i < 20_000; i++) {
                    db.put(bytes("task-" + i), bytes("{\"id\":\"task-" + i + "\",\"status\":\"PENDING\"}"));
                }

                assertThat(pool.cache().getUsage()).isGreaterThan(before);
                assertThat(db.get(bytes("task-19999"))).isEqualTo(bytes("{\"id\":\"task-19999\",\"status\":\"PENDING\"}"));
            }
            setter.close("tasks", options);
        }
    }

    @Test
    void without_the_budget_in_the_streams_configuration_it_says_what_is_missing() {
        try (Options options = streamsOptions()) {
            assertThatThrownBy(() -> new BoundedMemoryRocksDBConfig().setConfig("tasks", options, Map.of()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(BoundedMemoryRocksDBConfig.MEMORY_BYTES);
        }
    }

    /** Options as Kafka Streams hands them to a config setter: with its block-based table config. */
    private static Options streamsOptions() {
        return new Options().setTableFormatConfig(new BlockBasedTableConfigWithAccessibleCache());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
