package io.taskstate.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.query.TaskQueries;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import org.apache.kafka.streams.state.HostInfo;

/**
 * {@code claim_next}: reads the best pending candidates of every partition (from every instance),
 * then claims them one at a time in the global order until one claim wins. Each claim is the
 * atomic {@code claim_task} command, so no task is handed out twice; a candidate that someone else
 * claimed meanwhile is skipped for the next. Only tasks that became pending after the candidates
 * were read can be passed over, which is what "best task at the moment the claim began" means.
 *
 * <p>Concurrent {@code claim_next} requests on this instance do not race for the same candidate:
 * a candidate another request is claiming at that moment is skipped (the one exception the
 * ordering promise allows), so sixteen workers asking at once make sixteen claims, not 136.
 */
final class ClaimNext {
    /** Candidates read per partition per round: enough for a busy fleet to claim different tasks at once, few enough that a claim reads little. */
    static final int CANDIDATES = 4;
    /** Rounds of candidates before answering "nothing available" under heavy contention. */
    static final int ROUNDS = 8;

    private final TaskStateClient writer;
    private final Set<Long> beingClaimed = ConcurrentHashMap.newKeySet();
    private final BiFunction<HostInfo, ClaimFilter, CompletableFuture<TaskQueries.Slice<Task>>> remoteCandidates;

    ClaimNext(TaskStateClient writer, BiFunction<HostInfo, ClaimFilter, CompletableFuture<TaskQueries.Slice<Task>>> remoteCandidates) {
        this.writer = writer;
        this.remoteCandidates = remoteCandidates;
    }

    /**
     * @param attemptIds the base of each claim's command id: a retried request with the same base
     *                   re-sends the same claims, so one that won answers with the same task
     */
    CompletableFuture<Optional<Task>> claim(TaskQueries q, ClaimFilter filter, ObjectNode claim, String attemptIds) {
        return round(q, filter, claim, attemptIds, 0);
    }

    private CompletableFuture<Optional<Task>> round(TaskQueries q, ClaimFilter filter, ObjectNode claim, String ids, int round) {
        return candidates(q, filter).thenCompose(candidates -> {
            if (candidates.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            return attempt(candidates, 0, claim, ids).thenCompose(won -> won.isPresent() || round + 1 >= ROUNDS
                    ? CompletableFuture.completedFuture(won)
                    : round(q, filter, claim, ids, round + 1));
        });
    }

    private CompletableFuture<List<Task>> candidates(TaskQueries q, ClaimFilter filter) {
        List<CompletableFuture<TaskQueries.Slice<Task>>> parts = new ArrayList<>();
        for (HostInfo host : q.instances()) {
            parts.add(q.isSelf(host) ? CompletableFuture.completedFuture(q.claimable(filter, CANDIDATES)) : remoteCandidates.apply(host, filter));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<Task> merged = ApiServer.merge(q, parts);
            merged.sort(TaskQueries.CLAIM_ORDER);
            return merged;
        });
    }

    private CompletableFuture<Optional<Task>> attempt(List<Task> candidates, int next, ObjectNode claim, String ids) {
        if (next >= candidates.size()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        long id = candidates.get(next).id();
        if (!beingClaimed.add(id)) {
            return attempt(candidates, next + 1, claim, ids);
        }
        return writer.write(CommandType.CLAIM_TASK, id, id, claim.deepCopy(), null, ids + ":" + id)
                .whenComplete((result, error) -> beingClaimed.remove(id))
                .handle((JsonNode result, Throwable error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(Optional.of(Json.convert(result, Task.class)));
                    }
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    if (cause instanceof TaskStateException.Conflict || cause instanceof TaskStateException.NotFound) {
                        return attempt(candidates, next + 1, claim, ids); // taken or deleted meanwhile: the next best
                    }
                    return CompletableFuture.<Optional<Task>>failedFuture(cause);
                })
                .thenCompose(f -> f);
    }
}
