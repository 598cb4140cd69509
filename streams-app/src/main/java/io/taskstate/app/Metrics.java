package io.taskstate.app;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.taskstate.app.query.TaskQueries;
import io.taskstate.app.tasks.TaskStats;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The meters behind {@code GET /metrics}: the JVM's (memory, GC, threads, class loading, CPU),
 * every Kafka Streams client metric ({@code kafka_stream_*}, the dead-letter count among them),
 * the HTTP API's request timers (bound by the API server), the processors' command counts and
 * reply latency histogram ({@link io.taskstate.app.tasks.CommandMeters}), and taskstate's own gauges:
 * streams state, readiness, tasks by status and active instances on this instance's partitions.
 */
final class Metrics implements AutoCloseable {
    /** Kafka Streams' state as a number: {@link KafkaStreams.State#ordinal()} (2 is RUNNING). */
    static final String STREAMS_STATE = "taskstate.streams.state";
    /** 1 while {@code /health/ready} answers 200, else 0. */
    static final String READY = "taskstate.ready";
    /** Tasks by {@code status} on this instance's partitions, from the stats store. */
    static final String TASKS = "taskstate.tasks";
    /** Active instances on this instance's partitions. */
    static final String ACTIVE_INSTANCES = "taskstate.instances.active";

    /**
     * How often the metrics Kafka creates after the binding (per task and store once partitions are
     * assigned, the dead-letter count at the first dead letter) are looked for: Micrometer's
     * default is a minute, which left a new dead letter out of {@code /metrics} that long.
     */
    static final Duration KAFKA_METRICS_REFRESH = Duration.ofSeconds(5);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScheduledExecutorService kafkaMetricsRefresh = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "taskstate-kafka-metrics-refresh");
        thread.setDaemon(true);
        return thread;
    });
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private KafkaStreamsMetrics streamsMetrics;

    Metrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Binds the Kafka Streams client's metrics and the state and readiness gauges. */
    void bind(KafkaStreams streams, Supplier<TaskQueries> queries) {
        streamsMetrics = new KafkaStreamsMetrics(streams, List.of(), kafkaMetricsRefresh, KAFKA_METRICS_REFRESH);
        streamsMetrics.bindTo(registry);
        Gauge.builder(STREAMS_STATE, streams, s -> s.state().ordinal())
                .description("Kafka Streams state: 0 CREATED, 1 REBALANCING, 2 RUNNING, 3 PENDING_SHUTDOWN, "
                        + "4 NOT_RUNNING, 5 PENDING_ERROR, 6 ERROR")
                .register(registry);
        Gauge.builder(READY, queries, q -> q.get() != null && q.get().ready() ? 1 : 0)
                .description("1 while this instance answers /health/ready with 200, else 0")
                .strongReference(true) // the supplier is a lambda nothing else holds
                .register(registry);
        for (TaskStatus status : TaskStatus.values()) {
            Gauge.builder(TASKS, queries, q -> local(q, t -> t.localStats().items().stream()
                            .filter(e -> e.getKey().equals(TaskStats.STATUS + status.wire()))
                            .mapToLong(Map.Entry::getValue).sum()))
                    .description("Tasks by status on this instance's partitions (sum over instances for the total)")
                    .tag("status", status.wire()).strongReference(true).register(registry);
        }
        Gauge.builder(ACTIVE_INSTANCES, queries, q -> local(q, t -> t.localInstances().items().stream()
                        .filter(i -> Boolean.TRUE.equals(i.active())).count()))
                .description("Instances with a recent heartbeat, on this instance's partitions (sum over instances for the total)")
                .strongReference(true).register(registry);
    }

    /** A figure read from this instance's stores; NaN while they cannot be read (starting, rebalancing). */
    private static double local(Supplier<TaskQueries> queries, ToLongFunction<TaskQueries> read) {
        TaskQueries q = queries.get();
        if (q == null) {
            return Double.NaN;
        }
        try {
            return read.applyAsLong(q);
        } catch (RuntimeException notQueryable) {
            return Double.NaN;
        }
    }

    @Override
    public void close() {
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        kafkaMetricsRefresh.shutdownNow();
        gc.close();
        registry.close();
    }
}
