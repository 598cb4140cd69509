package io.taskstate.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.Json;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to taskstate through the SDK: it builds a client from the connection
 * options, runs, prints, and turns every failure into one line on stderr and an exit code of
 * {@link ExitCodes}.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    /** Does the work and returns the exit code; a thrown {@link TaskStateException} becomes its code. */
    abstract int run(TaskStateClient client, Output out) throws Exception;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Kafka's client logs (a broker that does not answer is a warning every retry) would bury
        // the one line this command prints; its failures reach the user as that line instead.
        ch.qos.logback.classic.Logger kafkaLog = logbackLogger("org.apache.kafka");
        ch.qos.logback.classic.Level previous = kafkaLog == null ? null : kafkaLog.getLevel();
        if (kafkaLog != null) {
            kafkaLog.setLevel(ch.qos.logback.classic.Level.OFF);
        }
        try {
            TaskStateClient client = connection.client();
            try (client) {
                return run(client, new Output(out, connection.json));
            }
        } catch (TaskStateException e) {
            if (causedBy(e, ConfigException.class)) {
                err.println("taskstate: bad Kafka client setting: " + rootMessage(e));
                return ExitCodes.USAGE;
            }
            err.println("taskstate: " + message(e));
            return exitCode(e);
        } catch (KafkaException e) {
            err.println("taskstate: Kafka failed: " + rootMessage(e));
            return e instanceof RetriableException ? ExitCodes.UNAVAILABLE : ExitCodes.FAILURE;
        } catch (Exception e) {
            err.println("taskstate: " + e.getClass().getSimpleName() + ": " + oneLine(rootMessage(e)));
            return ExitCodes.FAILURE;
        } finally {
            if (kafkaLog != null) {
                kafkaLog.setLevel(previous);
            }
            out.flush();
            err.flush();
        }
    }

    /** Waits for a write or query of the SDK, rethrowing its {@link TaskStateException} as is. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskStateException("Interrupted while waiting", null, e);
        } catch (ExecutionException | CancellationException | CompletionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof TaskStateException t) {
                throw t;
            }
            throw new TaskStateException(rootMessage(cause), null, cause);
        }
    }

    /**
     * A command-line value as JSON when it is a JSON document ({@code 5}, {@code true}, {@code null},
     * {@code "5"}, {@code ["a"]}), otherwise as the string it is ({@code pending}).
     */
    static JsonNode jsonOrString(String raw) {
        try {
            JsonNode node = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(raw);
            return node == null || node.isMissingNode() ? TextNode.valueOf(raw) : node;
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(raw);
        }
    }

    /** Parses option values that must be JSON documents, such as {@code --metadata '{"k": 1}'}. */
    static final class JsonValue implements CommandLine.ITypeConverter<JsonNode> {
        @Override
        public JsonNode convert(String value) {
            try {
                JsonNode node = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(value);
                if (node == null || node.isMissingNode()) {
                    throw new CommandLine.TypeConversionException("expected JSON, got nothing");
                }
                return node;
            } catch (JsonProcessingException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not JSON: " + e.getOriginalMessage());
            }
        }
    }

    static int exitCode(TaskStateException e) {
        if (e instanceof TaskStateException.NotFound) {
            return ExitCodes.NOT_FOUND;
        }
        if (e instanceof TaskStateException.Invalid) {
            return ExitCodes.INVALID;
        }
        if (e instanceof TaskStateException.Conflict) {
            return ExitCodes.CONFLICT;
        }
        if (e instanceof TaskStateException.Timeout || e instanceof TaskStateException.Unavailable
                || httpUnreachable(e) || causedBy(e, RetriableException.class)) {
            return ExitCodes.UNAVAILABLE;
        }
        return ExitCodes.FAILURE;
    }

    private String message(TaskStateException e) {
        if (causedBy(e, KafkaException.class)) {
            return "cannot reach Kafka at " + connection.bootstrapServers + " within " + connection.timeout + ": "
                    + rootMessage(e) + " (is taskstate running, and are --kafka-bootstrap-servers and --topic-prefix right?)";
        }
        if (!(e instanceof TaskStateException.Timeout) && httpUnreachable(e)) {
            return "cannot reach taskstate at " + connection.url + " (" + httpFailure(e) + "; is it running, and is --url right?)";
        }
        return oneLine(e.getMessage() == null ? rootMessage(e) : e.getMessage());
    }

    /** The HTTP API did not answer. */
    private static boolean httpUnreachable(Throwable e) {
        return causedBy(e, ConnectException.class) || causedBy(e, HttpTimeoutException.class)
                || causedBy(e, UnresolvedAddressException.class);
    }

    /** What went wrong with the HTTP request, in a few words. */
    private static String httpFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException || t instanceof HttpTimeoutException || t instanceof UnresolvedAddressException) {
                return t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName() : oneLine(t.getMessage());
            }
        }
        return rootMessage(e);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return oneLine(message == null || message.isBlank() ? root.getClass().getSimpleName() : message);
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    private static ch.qos.logback.classic.Logger logbackLogger(String name) {
        return LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l ? l : null;
    }
}
