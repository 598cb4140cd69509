package io.taskstate.app.query;

import java.util.List;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.internals.StateStoreProvider;

/**
 * A key-value store type whose handle is the one partition's store itself, looked up once.
 *
 * <p>{@link QueryableStoreTypes#keyValueStore()} hands out a composite that looks the store up
 * again on every {@code get}: through every stream thread's tasks and the state updater's lock,
 * which the stream thread takes too. A page or a {@code claim_next} reads dozens of tasks, so that
 * lookup was most of their time. Queries ask for one partition ({@code withPartition}), so there is
 * exactly one store to resolve, when the handle is made. A store that closes afterwards (its
 * partition moved away) still answers with {@link InvalidStateStoreException}, as before.
 */
final class ResolvedKeyValueStore<K, V> implements QueryableStoreType<ReadOnlyKeyValueStore<K, V>> {
    private final QueryableStoreType<ReadOnlyKeyValueStore<K, V>> keyValue = QueryableStoreTypes.keyValueStore();

    @Override
    public boolean accepts(org.apache.kafka.streams.processor.StateStore stateStore) {
        return keyValue.accepts(stateStore);
    }

    @Override
    public ReadOnlyKeyValueStore<K, V> create(StateStoreProvider storeProvider, String storeName) {
        List<ReadOnlyKeyValueStore<K, V>> stores = storeProvider.stores(storeName, keyValue);
        if (stores.size() != 1) {
            throw new InvalidStateStoreException("Expected one store " + storeName + " for the partition, found " + stores.size());
        }
        return stores.get(0);
    }
}
