/** Live updates: reading the events topic from a position and handing each change to the streams that want it. */
package io.taskstate.app.events;
