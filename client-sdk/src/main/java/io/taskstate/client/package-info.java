/** The Java SDK: {@link io.taskstate.client.TaskStateClient} and the types its calls take and return. */
package io.taskstate.client;
