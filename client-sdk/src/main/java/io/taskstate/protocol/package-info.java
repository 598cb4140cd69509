/** The wire contract shared by the SDK and the app: topics, ids and partitions, commands, replies and entities. */
package io.taskstate.protocol;
