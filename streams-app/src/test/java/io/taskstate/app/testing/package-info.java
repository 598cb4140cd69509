/** Test fixtures: a real broker (Docker or embedded) and a running app per test class. */
package io.taskstate.app.testing;
