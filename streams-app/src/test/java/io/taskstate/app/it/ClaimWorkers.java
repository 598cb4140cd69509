package io.taskstate.app.it;

import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Workers that drain the queue through {@code claim_next} and {@code complete}, in this JVM or, via
 * {@link #main}, in a separate one. Each records what it claimed, in order, as "worker id priority".
 */
final class ClaimWorkers {
    private ClaimWorkers() {
    }

    /** Runs {@code worker} until nothing is pending or in progress; returns its claims in order. */
    static List<String> drain(TaskStateClient client, String worker, String tag) {
        List<String> claims = new ArrayList<>();
        while (true) {
            Optional<Task> next = client.claimNext(worker, ClaimFilter.ANY.titleContains(tag));
            if (next.isEmpty()) {
                if (client.queryTasks(TaskQuery.all().titleContains(tag).status(TaskStatus.PENDING).pageSize(1))
                        .findAny().isEmpty()) {
                    return claims;
                }
                continue; // every pending one was being claimed at that moment: ask again
            }
            Task task = next.get();
            claims.add(worker + " " + task.id() + " " + task.priority().wire());
            client.complete(task.id(), worker, Map.of("completed_by", worker));
        }
    }

    /** {@code bootstrap baseUrl topicPrefix workerPrefix threads tag outputFile}: a worker process. */
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String baseUrl = args[1];
        String prefix = args[2];
        String workerPrefix = args[3];
        int threads = Integer.parseInt(args[4]);
        String tag = args[5];
        Path output = Path.of(args[6]);
        List<String> all = Collections.synchronizedList(new ArrayList<>());
        try (TaskStateClient client = TaskStateClient.builder().bootstrapServers(bootstrap).baseUrl(baseUrl)
                .topicPrefix(prefix).timeout(Duration.ofSeconds(30)).build()) {
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String worker = workerPrefix + "-" + i;
                Thread t = new Thread(() -> all.addAll(drain(client, worker, tag)), worker);
                workers.add(t);
                t.start();
            }
            for (Thread t : workers) {
                t.join();
            }
        }
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(output))) {
            all.forEach(out::println);
        } catch (IOException e) {
            System.exit(2);
        }
        System.exit(0);
    }
}
