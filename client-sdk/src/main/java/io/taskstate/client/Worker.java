package io.taskstate.client;

import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Task;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A background worker loop from {@link TaskStateClient#work}: heartbeat, claim next, handle,
 * complete (or release on failure), repeat. {@link #close()} stops it after the current task.
 */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    private static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(30);

    private final TaskStateClient client;
    private final String assignee;
    private final ClaimFilter filter;
    private final Duration idle;
    private final TaskStateClient.TaskHandler handler;
    private final Heartbeats heartbeats;
    private final Thread thread;
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile long completed;

    Worker(TaskStateClient client, String assignee, ClaimFilter filter, Duration idle, TaskStateClient.TaskHandler handler) {
        this.client = client;
        this.assignee = assignee;
        this.filter = filter;
        this.idle = idle;
        this.handler = handler;
        this.heartbeats = client.startHeartbeats(assignee, HEARTBEAT_INTERVAL);
        this.thread = new Thread(this::run, "taskstate-worker-" + assignee);
        thread.setDaemon(true);
        thread.start();
    }

    /** How many tasks this worker has completed. */
    public long completed() {
        return completed;
    }

    private void run() {
        while (stop.getCount() > 0) {
            Optional<Task> next;
            try {
                next = client.claimNext(assignee, filter);
            } catch (TaskStateException e) {
                log.warn("Worker {} could not claim a task, will retry: {}", assignee, e.getMessage());
                next = Optional.empty();
            }
            if (next.isEmpty()) {
                if (await(idle)) {
                    return;
                }
                continue;
            }
            Task task = next.get();
            try {
                Map<String, ?> result = handler.handle(task);
                client.complete(task.id(), assignee, result);
                completed++;
            } catch (Exception e) {
                log.warn("Worker {} failed task {}, releasing it: {}", assignee, task.id(), e.toString());
                try {
                    client.release(task.id(), assignee);
                } catch (TaskStateException releaseFailed) {
                    log.warn("Worker {} could not release task {}: {}", assignee, task.id(), releaseFailed.getMessage());
                }
            }
        }
    }

    /** Waits {@code d} or until stopped; true when stopped. */
    private boolean await(Duration d) {
        try {
            return stop.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    @Override
    public void close() {
        stop.countDown();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        heartbeats.close();
    }
}
