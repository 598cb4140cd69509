/** The embedded default: a single-node KRaft broker in the app's own JVM, for one machine and for tests. */
package io.taskstate.app.broker;
