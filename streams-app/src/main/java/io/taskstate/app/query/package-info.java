/**
 * Interactive queries, knowing nothing of HTTP: who owns a key or a partition, and reads of this
 * instance's own stores. The HTTP layer forwards to the owner when it is another instance.
 */
package io.taskstate.app.query;
