/** The {@code task} and {@code instance} commands: the SDK on the command line, with tables, {@code --json} and exit codes. */
package io.taskstate.app.cli;
