package io.taskstate.app.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.app.query.TaskQueries;
import io.taskstate.client.internal.DependencyWalk;
import io.taskstate.client.internal.HttpApi;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Task;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Before a create or update with {@code depends_on} is sent, walks the dependency graph through
 * the query layer (each task read where it lives, this instance's stores or its owner's) and
 * refuses, with 400, a dependency that does not exist or one that leads back to the task. The
 * processor repeats the check atomically for the tasks of the command's own partition.
 */
final class DependencyPrecheck {
    private final DependencyWalk walk;

    DependencyPrecheck(Supplier<TaskQueries> queries, Function<HostInfo, HttpApi> peer) {
        this.walk = new DependencyWalk(id -> read(queries.get(), peer, id));
    }

    /** Completes when {@code body} may be sent for task {@code taskId} ({@code null}: a create); fails with the refusal otherwise. */
    CompletableFuture<Void> check(Long taskId, ObjectNode body) {
        if (!body.has("depends_on")) {
            return CompletableFuture.completedFuture(null);
        }
        return walk.problem(taskId, body.get("depends_on")).thenAccept(problem -> {
            if (problem != null) {
                throw ApiException.badRequest(problem);
            }
        });
    }

    private static CompletableFuture<Optional<Task>> read(TaskQueries q, Function<HostInfo, HttpApi> peer, long id) {
        try {
            HostInfo owner = q.ownerOf(id);
            if (q.isSelf(owner)) {
                return CompletableFuture.completedFuture(q.localTask(id));
            }
            return peer.apply(owner).get("internal/v1/tasks/" + id).handle((JsonNode body, Throwable e) -> {
                if (e == null) {
                    return Optional.of(Json.convert(body, Task.class));
                }
                if (Problems.unwrap(e) instanceof HttpApi.Problem p && p.status() == 404) {
                    return Optional.<Task>empty();
                }
                throw new java.util.concurrent.CompletionException(Problems.unwrap(e));
            });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
