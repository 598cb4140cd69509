/** The HTTP API: Javalin routes over the command path and the interactive-query layer. */
package io.taskstate.app.http;
