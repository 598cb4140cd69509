package io.taskstate.app.tasks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the processors apply, for {@code GET /metrics}: {@value #COMMANDS} counts commands by
 * {@code type} and {@code outcome} ({@code ok}, {@code not_found}, {@code invalid}, {@code conflict},
 * ..., {@code forwarded} for one handed to another partition to finish, {@code applied} for the
 * app's own commands, which have no reply), and {@value #LATENCY}
 * is a histogram, by {@code type}, of the time from a command's {@code issued_at} (stamped by its
 * sender: the SDK, or the HTTP and MCP layer) to its reply being written. That spans two clocks
 * when the sender is another machine. A command re-applied after an aborted transaction counts again.
 * One instance serves every stream thread of a server.
 */
public final class CommandMeters {
    static final String COMMANDS = "taskstate.commands";
    static final String LATENCY = "taskstate.command.reply.latency";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public CommandMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters nobody reads: for topologies run without a server, in tests. */
    static CommandMeters none() {
        return new CommandMeters(new SimpleMeterRegistry());
    }

    /** Counts one applied command and, when its sender stamped it, the time to its reply at {@code now}. */
    void applied(String type, String outcome, Instant issuedAt, Instant now) {
        counters.computeIfAbsent(type + '/' + outcome, k -> Counter.builder(COMMANDS)
                .description("Commands applied, by type and outcome").tags("type", type, "outcome", outcome)
                .register(registry)).increment();
        if (issuedAt != null && !outcome.equals("forwarded") && !outcome.equals("applied")) {
            timers.computeIfAbsent(type, k -> Timer.builder(LATENCY)
                    .description("From a command's issued_at (its sender's clock) to its reply being written")
                    .tags("type", type).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                    .register(registry)).record(Duration.between(issuedAt, now).isNegative() ? Duration.ZERO : Duration.between(issuedAt, now));
        }
    }
}
