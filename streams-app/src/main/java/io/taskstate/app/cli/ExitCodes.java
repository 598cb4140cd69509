package io.taskstate.app.cli;

/** What the {@code task} and {@code instance} commands exit with, so scripts can tell outcomes apart. */
public final class ExitCodes {
    /** Done. */
    public static final int OK = 0;
    /** Anything unexpected. */
    public static final int FAILURE = 1;
    /** The command line could not be parsed (picocli's own code for bad options). */
    public static final int USAGE = 2;
    /** {@code task claim-next} found no task to take. */
    public static final int NOTHING_AVAILABLE = 3;
    /** The task or instance does not exist. */
    public static final int NOT_FOUND = 4;
    /** The server refused the request as invalid. */
    public static final int INVALID = 5;
    /** The current state refused the request: a failed {@code --expect}, a task someone else holds. */
    public static final int CONFLICT = 6;
    /** No answer in time, or the service cannot answer now; a write may still be applied. */
    public static final int UNAVAILABLE = 7;

    private ExitCodes() {
    }
}
