package io.taskstate.client;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A background heartbeat for one instance, from {@link TaskStateClient#startHeartbeats}. It keeps
 * going through transient broker errors, logging each failure and the recovery. Close it to stop.
 */
public final class Heartbeats implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

    private final String instanceId;
    private final ScheduledExecutorService timer;
    private volatile boolean failing;

    Heartbeats(String instanceId, Duration interval, Function<String, CompletableFuture<Void>> beat) {
        this.instanceId = instanceId;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "taskstate-heartbeat-" + instanceId);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> beat.apply(instanceId).whenComplete((ok, error) -> {
            if (error != null && !failing) {
                failing = true;
                log.warn("Heartbeat for {} failed, will keep trying: {}", instanceId, error.getMessage());
            } else if (error == null && failing) {
                failing = false;
                log.info("Heartbeats for {} are getting through again", instanceId);
            }
        }), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String instanceId() {
        return instanceId;
    }

    /** Stops sending; the instance goes inactive once its last heartbeat is older than the timeout. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
