package io.taskstate.app.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.taskstate.app.query.NotQueryableException;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.internal.HttpApi;
import io.taskstate.protocol.Json;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps every failure to RFC 9457 problem details, in one place: what went wrong and what to do.
 */
final class Problems {
    static final String CONTENT_TYPE = "application/problem+json";
    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    private Problems() {
    }

    static void respond(Context ctx, Throwable error) {
        Problem p = classify(error, ctx.method() + " " + ctx.path());
        if (p.retry()) {
            ctx.header("Retry-After", "1");
        }
        write(ctx, p.status(), p.detail(), p.commandId());
    }

    /** A failure as the caller sees it: status, what to do, the command id if any, and whether to send Retry-After. */
    record Problem(int status, String detail, String commandId, boolean retry) {
        Problem(int status, String detail, String commandId) {
            this(status, detail, commandId, status == 503);
        }

        /** The problem details document, as {@link #body} writes it. */
        ObjectNode json(String path) {
            ObjectNode problem = problem(status, detail, path);
            if (commandId != null) {
                problem.put("command_id", commandId);
            }
            return problem;
        }
    }

    /** What {@code error} means for the caller; {@code answering} names the request, for the log of an unexpected failure. */
    static Problem classify(Throwable error, String answering) {
        Throwable e = unwrap(error);
        if (e instanceof ApiException a) {
            return new Problem(a.status, a.getMessage(), null);
        } else if (e instanceof TaskStateException.NotFound t) {
            return new Problem(404, t.getMessage(), t.commandId());
        } else if (e instanceof TaskStateException.Invalid t) {
            return new Problem(400, t.getMessage(), t.commandId());
        } else if (e instanceof TaskStateException.Conflict t) {
            return new Problem(409, t.getMessage(), t.commandId());
        } else if (e instanceof TaskStateException t && t.getCause() instanceof RecordTooLargeException) {
            // under the body limit, but too large for one Kafka record once wrapped in a command envelope
            return new Problem(413, "The command is larger than Kafka accepts in one record (max.request.size and the topic's "
                    + "max.message.bytes, 1 MiB by default): send a smaller body", t.commandId());
        } else if (e instanceof TaskStateException.Timeout t) {
            return new Problem(504, t.getMessage(), t.commandId());
        } else if (e instanceof NotQueryableException || e instanceof TaskStateException.Unavailable
                || e instanceof InvalidStateStoreException) {
            // InvalidStateStoreException: a store read after the store was looked up, while its partition moved away.
            return new Problem(503, e.getMessage() + "; retry shortly", null);
        } else if (e instanceof HttpApi.Problem p) {
            return new Problem(p.status(), p.getMessage(), null);
        } else if (e instanceof IOException) {
            // Only calls to other instances fail this way: the owner of a partition stopped, and until
            // the group notices (its session times out) and moves the partition, nobody can answer.
            return new Problem(503, "Another instance could not be reached (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); its partitions move to the others "
                    + "once the group notices it is gone; retry shortly", null);
        } else if (e instanceof HttpResponseException h) {
            return new Problem(h.getStatus(), h.getMessage(), null);
        } else {
            log.error("Unexpected failure answering {}", answering, e);
            return new Problem(500, "Internal error: " + e.getClass().getSimpleName() + "; see the server log", null);
        }
    }

    /**
     * Whether {@code error} means "nobody can answer right now, retry": the stores are not
     * queryable, or the instance that owns the data cannot be reached or said so itself.
     */
    static boolean isUnavailable(Throwable error) {
        Throwable e = unwrap(error);
        return e instanceof NotQueryableException || e instanceof InvalidStateStoreException || e instanceof IOException
                || e instanceof HttpApi.Problem p && p.status() == 503;
    }

    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    static void write(Context ctx, int status, String detail, String commandId) {
        ctx.status(status).contentType(CONTENT_TYPE).result(body(status, detail, ctx.path(), commandId));
    }

    /** The problem details document; also for answers written outside Javalin (the MCP servlet). */
    static byte[] body(int status, String detail, String path, String commandId) {
        return Json.bytes(new Problem(status, detail, commandId).json(path));
    }

    /** The RFC 9457 body: {@code type}, {@code title}, {@code status}, {@code detail}, {@code instance}. */
    static ObjectNode problem(int status, String detail, String path) {
        ObjectNode problem = Json.object();
        HttpStatus known = HttpStatus.forStatus(status);
        problem.put("type", "about:blank");
        problem.put("title", known == HttpStatus.UNKNOWN ? "Error" : known.getMessage());
        problem.put("status", status);
        problem.put("detail", detail);
        problem.put("instance", path);
        return problem;
    }
}
