/** RocksDB settings for the state stores: one bounded memory pool shared by every store. */
package io.taskstate.app.rocksdb;
