package io.taskstate.app.rocksdb;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.IndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the memory of all RocksDB stores of the process, whatever the partition count: every store
 * reads through one shared block cache, and its memtables are counted against that same cache by one
 * shared write buffer manager, so {@value #MEMORY_BYTES} is the whole budget for data blocks,
 * indexes, filters and write buffers together (Kafka Streams' "RocksDB memory management").
 *
 * <p>Kafka Streams creates one instance per store by reflection and passes its configuration to
 * {@link #setConfig}; the budget comes from there ({@code TASKSTATE_ROCKSDB_MEMORY}). The shared cache
 * and write buffer manager live as long as the process and are never closed by {@link #close}.
 */
public class BoundedMemoryRocksDBConfig implements RocksDBConfigSetter {

    /** The Streams configuration key holding the total budget in bytes. */
    public static final String MEMORY_BYTES = "taskstate.rocksdb.memory.bytes";

    /** Share of the budget the memtables may take before the write buffer manager makes stores flush. */
    static final double MEMTABLE_RATIO = 0.25;
    /** Share of the cache kept for index and filter blocks, so data blocks cannot evict them. */
    static final double INDEX_FILTER_RATIO = 0.1;
    /** Each store's memtable size; the write buffer manager still bounds them all together. */
    static final long WRITE_BUFFER_BYTES = 8L * 1024 * 1024;
    static final int MAX_WRITE_BUFFERS = 2;
    /**
     * Memtable allocation unit. Every memtable holds at least one block, charged to the write buffer
     * manager: at RocksDB's default (write buffer / 8 = 1 MiB) the 60 stores of six partitions are
     * over the memtable share before anything is written, and every write then flushes its store
     * into a tiny file (a flush and compaction storm that stalled writes; see the README).
     */
    static final long ARENA_BLOCK_BYTES = 64L * 1024;
    static final double BLOOM_BITS_PER_KEY = 10;

    /** One pool per budget (in practice one per process; tests may start several servers in one JVM). */
    private static final Map<Long, SharedMemory> POOLS = new ConcurrentHashMap<>();

    /** This store's own filter policy, closed with the store. */
    private BloomFilter filter;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        SharedMemory pool = pool(budget(configs));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(pool.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        // partitioned indexes and filters: only their small top level stays pinned, the rest is evictable
        table.setIndexType(IndexType.kTwoLevelIndexSearch);
        table.setPartitionFilters(true);
        filter = new BloomFilter(BLOOM_BITS_PER_KEY);
        table.setFilterPolicy(filter);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(pool.writeBuffers());
        options.setWriteBufferSize(WRITE_BUFFER_BYTES);
        options.setMaxWriteBufferNumber(MAX_WRITE_BUFFERS);
        options.setArenaBlockSize(ARENA_BLOCK_BYTES);
    }

    /** Closes only what this store owns: the cache and write buffer manager are shared. */
    @Override
    public void close(String storeName, Options options) {
        if (filter != null) {
            filter.close();
        }
    }

    /** The shared cache and write buffer manager for a budget, created on first use. */
    static SharedMemory pool(long bytes) {
        return POOLS.computeIfAbsent(bytes, SharedMemory::of);
    }

    private static long budget(Map<String, Object> configs) {
        Object value = configs.get(MEMORY_BYTES);
        if (value == null) {
            throw new IllegalStateException(MEMORY_BYTES + " is missing from the Streams configuration: "
                    + BoundedMemoryRocksDBConfig.class.getSimpleName() + " needs the RocksDB memory budget in bytes");
        }
        return value instanceof Number n ? n.longValue() : Long.parseLong(value.toString());
    }

    /** The block cache and the write buffer manager that charges memtables to it. */
    record SharedMemory(Cache cache, WriteBufferManager writeBuffers) {

        static SharedMemory of(long bytes) {
            Cache cache = new LRUCache(bytes, -1, false, INDEX_FILTER_RATIO);
            return new SharedMemory(cache, new WriteBufferManager((long) (bytes * MEMTABLE_RATIO), cache));
        }
    }
}
