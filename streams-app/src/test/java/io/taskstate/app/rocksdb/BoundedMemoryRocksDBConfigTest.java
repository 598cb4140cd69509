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

    /**
     * Sixty stores (ten per partition, six partitions) with a few writes each stay in their
     * memtables: an idle memtable must not cost so much of the shared write buffer budget that every
     * write makes its store flush (with RocksDB's 1 MiB default arena blocks, 60 memtables alone are
     * over the 32 MiB memtable share of the default 128 MiB, and each write then flushed a tiny file).
     */
    @Test
    void many_stores_with_small_writes_do_not_flush(@TempDir Path dir) throws RocksDBException {
        long budget = 128L << 20;
        Map<String, Object> configs = Map.of(BoundedMemoryRocksDBConfig.MEMORY_BYTES, budget);
        java.util.List<BoundedMemoryRocksDBConfig> setters = new java.util.ArrayList<>();
        java.util.List<Options> options = new java.util.ArrayList<>();
        java.util.List<RocksDB> dbs = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) {
                BoundedMemoryRocksDBConfig setter = new BoundedMemoryRocksDBConfig();
                Options o = streamsOptions().setCreateIfMissing(true);
                setter.setConfig("store-" + i, o, configs);
                setters.add(setter);
                options.add(o);
                dbs.add(RocksDB.open(o, dir.resolve("store-" + i).toString()));
            }
            for (int round = 0; round < 200; round++) {
                for (RocksDB db : dbs) {
                    db.put(bytes("key-" + round), bytes("a value of about a hundred bytes, like an index entry or a counter ".repeat(2)));
                }
            }

            long flushed = 0;
            for (RocksDB db : dbs) {
                flushed += db.getLongProperty("rocksdb.num-immutable-mem-table") + db.getLongProperty("rocksdb.total-sst-files-size")
                        + db.getLongProperty("rocksdb.mem-table-flush-pending");
            }
            assertThat(flushed).as("memtables flushed or waiting to flush across the 60 stores").isZero();
        } finally {
            dbs.forEach(RocksDB::close);
            for (int i = 0; i < setters.size(); i++) {
                setters.get(i).close("store-" + i, options.get(i));
                options.get(i).close();
            }
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
