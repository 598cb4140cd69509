/** Starting and stopping taskstate: configuration, the embedded default, and {@code main}. */
package io.taskstate.app;
