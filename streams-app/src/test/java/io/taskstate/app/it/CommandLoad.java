package io.taskstate.app.it;

import io.taskstate.client.NewTask;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A fault test's load: jobs of four SDK commands each (create a task with a unique title, update
 * it with a unique metadata marker, claim it, complete it), pipelined on several clients through
 * the asynchronous SDK. Every command has its own command id; a command that fails with a timeout
 * or an unexpected error is sent again with the same id until it is acknowledged or its deadline
 * passes, so each acknowledged command must have taken effect exactly once, which {@link #verify}
 * checks against the final tasks. Any typed refusal (conflict, not found, invalid) of one of these
 * commands is a violation: a retry must get the first outcome, never a conflict with itself.
 */
final class CommandLoad {
    static final int COMMANDS_PER_JOB = 4;
    private static final Duration RETRY_PAUSE = Duration.ofMillis(250);

    private final List<TaskStateClient> clients;
    private final String run;
    private final int jobs;
    private final int lanesPerClient;
    private final Duration giveUpAfter;

    private final AtomicInteger nextJob = new AtomicInteger();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final Map<Integer, Task> created = new ConcurrentHashMap<>();
    private final Map<Integer, Task> lastAcknowledged = new ConcurrentHashMap<>();
    /** Jobs whose last command was given up: it may or may not have been applied. */
    private final Map<Integer, String> givenUp = new ConcurrentHashMap<>();
    private final Collection<String> violations = new ConcurrentLinkedQueue<>();
    private CompletableFuture<Void> done;

    CommandLoad(List<TaskStateClient> clients, String run, int jobs, int lanesPerClient, Duration giveUpAfter) {
        this.clients = clients;
        this.run = run;
        this.jobs = jobs;
        this.lanesPerClient = lanesPerClient;
        this.giveUpAfter = giveUpAfter;
    }

    /** Starts every lane of every client; returns at once. */
    CommandLoad start() {
        List<CompletableFuture<Void>> lanes = new ArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
            for (int lane = 0; lane < lanesPerClient; lane++) {
                CompletableFuture<Void> finished = new CompletableFuture<>();
                nextJobOn(c, finished);
                lanes.add(finished);
            }
        }
        done = CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new));
        return this;
    }

    int commands() {
        return jobs * COMMANDS_PER_JOB;
    }

    long acknowledged() {
        return acknowledged.get();
    }

    long retries() {
        return retries.get();
    }

    long timeouts() {
        return timeouts.get();
    }

    Map<Integer, String> givenUp() {
        return givenUp;
    }

    Collection<String> violations() {
        return violations;
    }

    /** True once every job has ended, acknowledged or given up. */
    boolean finished() {
        return done.isDone();
    }

    /** Runs the lane's next job, then the one after, until none is left. */
    private void nextJobOn(int client, CompletableFuture<Void> laneDone) {
        int job = nextJob.getAndIncrement();
        if (job >= jobs) {
            laneDone.complete(null);
            return;
        }
        runJob(client, job).whenComplete((ignored, error) -> {
            if (error != null) {
                givenUp.put(job, Objects.toString(unwrap(error).getMessage()));
            }
            nextJobOn(client, laneDone);
        });
    }

    private CompletableFuture<Task> runJob(int c, int job) {
        TaskStateClient client = clients.get(c);
        String worker = worker(c);
        return untilAcknowledged(job, "create", id -> client.createTaskAsync(NewTask.titled(title(job))
                        .metadata(Map.of("job", job)), id))
                .thenCompose(task -> untilAcknowledged(job, "update", id -> client.updateTaskAsync(task.id(),
                        TaskUpdate.of().metadata(Map.of("job", job, "marker", marker(job))), id)))
                .thenCompose(task -> untilAcknowledged(job, "claim", id -> client.claimAsync(task.id(), worker, null, id)))
                .thenCompose(task -> untilAcknowledged(job, "complete", id -> client.completeAsync(task.id(), worker,
                        Map.of("result", job), false, id)));
    }

    /** Sends one command, and again with the same command id after each timeout or unexpected failure, until it is acknowledged. */
    private CompletableFuture<Task> untilAcknowledged(int job, String step, java.util.function.Function<String, CompletableFuture<Task>> send) {
        String commandId = run + "-job-" + job + "-" + step;
        Instant deadline = Instant.now().plus(giveUpAfter);
        CompletableFuture<Task> result = new CompletableFuture<>();
        attempt(job, step, commandId, () -> send.apply(commandId), deadline, result);
        return result;
    }

    private void attempt(int job, String step, String commandId, Supplier<CompletableFuture<Task>> send, Instant deadline,
                         CompletableFuture<Task> result) {
        send.get().whenComplete((task, error) -> {
            if (error == null) {
                acknowledged.incrementAndGet();
                if (step.equals("create")) {
                    created.put(job, task);
                }
                lastAcknowledged.put(job, task);
                result.complete(task);
                return;
            }
            Throwable cause = unwrap(error);
            if (cause instanceof TaskStateException.Timeout timeout) {
                timeouts.incrementAndGet();
                if (!commandId.equals(timeout.commandId()) || !String.valueOf(timeout.getMessage()).contains(commandId)) {
                    violations.add("a timeout of " + commandId + " does not name it: " + timeout.getMessage());
                }
            }
            boolean refused = cause instanceof TaskStateException.Conflict || cause instanceof TaskStateException.NotFound
                    || cause instanceof TaskStateException.Invalid;
            if (refused) {
                violations.add(step + " of job " + job + " (" + commandId + ") refused: " + cause.getMessage());
                result.completeExceptionally(cause);
            } else if (Instant.now().isBefore(deadline)) {
                retries.incrementAndGet();
                CompletableFuture.delayedExecutor(RETRY_PAUSE.toMillis(), TimeUnit.MILLISECONDS)
                        .execute(() -> attempt(job, step, commandId, send, deadline, result));
            } else {
                result.completeExceptionally(cause);
            }
        });
    }

    /** Waits until every job has ended; false if some are still running after {@code deadline}. */
    boolean awaitFinished(Duration deadline) {
        try {
            done.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * What the final tasks say about the commands: problems (an acknowledged command missing or
     * applied twice, a reply the final state contradicts), and the count of commands applied.
     */
    Outcome verify(Collection<Task> finalTasks) {
        List<String> problems = new ArrayList<>(violations);
        Map<String, List<Task>> byTitle = new HashMap<>();
        for (Task t : finalTasks) {
            byTitle.computeIfAbsent(t.title(), k -> new ArrayList<>()).add(t);
        }
        Map<Long, Integer> jobOfId = new HashMap<>();
        long applied = 0;
        for (int job = 0; job < jobs; job++) {
            List<Task> withTitle = byTitle.getOrDefault(title(job), List.of());
            if (withTitle.size() > 1) {
                problems.add("job " + job + ": " + withTitle.size() + " tasks titled '" + title(job) + "': created more than once");
            }
            Task ack = created.get(job);
            if (ack != null) {
                Integer other = jobOfId.put(ack.id(), job);
                if (other != null) {
                    problems.add("id " + ack.id() + " was acknowledged to the creates of jobs " + other + " and " + job);
                }
                if (withTitle.isEmpty()) {
                    problems.add("job " + job + ": the acknowledged create of task " + ack.id() + " is not there");
                    continue;
                }
                if (withTitle.get(0).id() != ack.id()) {
                    problems.add("job " + job + ": acknowledged as task " + ack.id() + ", stored as " + withTitle.get(0).id());
                }
            }
            if (withTitle.isEmpty()) {
                continue;
            }
            Task last = lastAcknowledged.get(job);
            Task actual = withTitle.get(0);
            if (!givenUp.containsKey(job) && !actual.equals(last)) {
                problems.add("job " + job + ": the final task contradicts its last reply:\n  reply: " + last + "\n  final: " + actual);
            }
            applied += effects(job, actual);
        }
        long extra = finalTasks.stream().filter(t -> !t.title().startsWith(run + " job ")).count();
        if (extra > 0) {
            problems.add(extra + " tasks that no job created");
        }
        return new Outcome(acknowledged.get(), applied, problems);
    }

    /** How many of the job's four commands the task shows applied. */
    private long effects(int job, Task t) {
        long n = 1;
        if (marker(job).equals(t.metadata().path("marker").asText(null))) {
            n++;
        }
        if (t.assignee() != null && t.status() != TaskStatus.PENDING) {
            n++;
        }
        if (t.status() == TaskStatus.COMPLETED && t.metadata().path("result").asInt(-1) == job) {
            n++;
        }
        return n;
    }

    /** Acknowledged and applied commands, and every problem found. */
    record Outcome(long acknowledged, long applied, List<String> problems) {
    }

    private String title(int job) {
        return run + " job " + job;
    }

    private static String marker(int job) {
        return "marker-" + job;
    }

    private static String worker(int client) {
        return "worker-" + client;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
