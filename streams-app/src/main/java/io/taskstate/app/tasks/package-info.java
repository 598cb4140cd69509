/** The stream processor: commands in, tasks, indexes and replies out, in one exactly-once step. */
package io.taskstate.app.tasks;
