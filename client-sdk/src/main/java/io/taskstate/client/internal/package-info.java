/** The SDK's plumbing: the command channel (producer plus reply consumer) and the HTTP query client. */
package io.taskstate.client.internal;
