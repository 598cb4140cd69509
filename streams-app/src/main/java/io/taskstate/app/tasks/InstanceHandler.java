package io.taskstate.app.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.InstanceStatus;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Partitioning;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The instance rules of one partition: heartbeats, state updates, and noticing instances whose
 * heartbeats stopped. An instance lives on the partition its id hashes to.
 */
final class InstanceHandler {
    static final Set<String> STATE_FIELDS = Set.of("current_task_id", "status", "working_directory", "metadata");
    static final int MAX_ID_CHARS = Instance.MAX_ID_CHARS;
    static final int MAX_DIRECTORY_CHARS = 4096;

    private final int partitions;
    private final int partition;
    private final Duration timeout;
    private final ExpiryPolicy policy;
    private final KeyValueStore<String, Instance> instances;
    private final Output out;

    InstanceHandler(int partitions, int partition, Duration timeout, ExpiryPolicy policy,
                    KeyValueStore<String, Instance> instances, Output out) {
        this.partitions = partitions;
        this.partition = partition;
        this.timeout = timeout;
        this.policy = policy;
        this.instances = instances;
        this.out = out;
    }

    /** The partition instance {@code id} lives on. */
    int partitionOf(String id) {
        return Partitioning.partitionOfKey(id, partitions);
    }

    boolean owns(String id) {
        return partitionOf(id) == partition;
    }

    /**
     * Records a heartbeat at {@code now}; the first one creates the instance, {@code active}. A
     * heartbeat of an instance that holds a current task also extends that task's lease, if it has one.
     */
    Instance heartbeat(String id, Instant now) {
        Instance current = instances.get(id);
        Instance next = current == null
                ? new Instance(id, InstanceStatus.ACTIVE, null, null, Json.object(), now, null, null)
                : new Instance(id, current.status(), current.currentTaskId(), current.workingDirectory(),
                        current.metadata(), latest(current.lastHeartbeat(), now), null, null);
        save(next);
        if (next.currentTaskId() != null) {
            ObjectNode renew = Json.object();
            renew.put("assignee", id);
            out.command(next.currentTaskId().toString(), new Command("renew:" + id + ":" + now.toEpochMilli(), "taskstate",
                    CommandType.RENEW_FROM_HEARTBEAT.wire(), next.currentTaskId(), renew, null));
        }
        return next.at(now, timeout);
    }

    /**
     * Records the task an instance now holds (creating the instance, as a sign of life), or clears
     * it when the instance no longer holds {@code only_if_task_id}.
     */
    void setCurrentTask(ObjectNode payload, Instant now) {
        String id = payload.path("instance_id").asText();
        Instance current = instances.get(id);
        JsonNode held = payload.get("task_id");
        if (held != null && !held.isNull()) {
            Instance base = current != null ? current
                    : new Instance(id, InstanceStatus.ACTIVE, null, null, Json.object(), now, null, null);
            save(new Instance(id, base.status(), held.asLong(), base.workingDirectory(), base.metadata(),
                    latest(base.lastHeartbeat(), now), null, null));
        } else if (current != null && current.currentTaskId() != null
                && current.currentTaskId() == payload.path("only_if_task_id").asLong()) {
            save(withCurrentTask(current, null, current.expiredAt()));
        }
    }

    /** Applies a checked {@code set_instance_state}; it counts as a heartbeat. */
    Instance apply(ObjectNode payload, Instant now) {
        String id = instanceId(payload.get("instance_id"));
        ObjectNode state = state(payload.get("state"));
        Instance base = instances.get(id);
        if (base == null) {
            base = new Instance(id, InstanceStatus.ACTIVE, null, null, Json.object(), now, null, null);
        }
        InstanceStatus status = state.has("status") ? status(state.get("status")) : base.status();
        Long currentTask = state.has("current_task_id") ? currentTaskId(state.get("current_task_id")) : base.currentTaskId();
        String directory = state.has("working_directory") ? workingDirectory(state.get("working_directory")) : base.workingDirectory();
        ObjectNode metadata = state.has("metadata") ? TaskFields.metadata(state.get("metadata")) : base.metadata();
        Instance next = new Instance(id, status, currentTask, directory, metadata, latest(base.lastHeartbeat(), now), null, null);
        save(next);
        return next.at(now, timeout);
    }

    /** Clears {@code current_task_id} on every instance of this partition that points at a deleted task. */
    void clearCurrentTask(JsonNode taskIds) {
        Set<Long> deleted = new HashSet<>();
        taskIds.forEach(id -> deleted.add(id.asLong()));
        for (Instance i : matching(i -> i.currentTaskId() != null && deleted.contains(i.currentTaskId()))) {
            save(withCurrentTask(i, null, i.expiredAt()));
        }
    }

    /** Whether any instance of this partition stopped heartbeating by {@code now} and is not yet marked expired. */
    boolean anyDue(Instant now) {
        return !matching(i -> due(i, now)).isEmpty();
    }

    /**
     * Marks every instance whose heartbeats stopped by {@code now} as expired, and tells every
     * partition to hand its tasks back. The release command's id names the instance and its last
     * heartbeat, so the hand-over is applied once however often it is sent.
     */
    void expire(Instant now) {
        for (Instance i : matching(i -> due(i, now))) {
            save(withCurrentTask(i, policy == ExpiryPolicy.KEEP ? i.currentTaskId() : null, now));
            if (policy == ExpiryPolicy.KEEP) {
                continue;
            }
            ObjectNode release = Json.object();
            release.put("instance_id", i.instanceId());
            release.put("expired_at", now.toEpochMilli());
            release.put("reason", "Instance " + i.instanceId() + " stopped heartbeating (last heartbeat "
                    + i.lastHeartbeat() + ", timeout " + timeout + ")");
            out.command(Partitioning.ALL_PARTITIONS, new Command(
                    "release-expired:" + i.instanceId() + ":" + i.lastHeartbeat().toEpochMilli(), "taskstate",
                    CommandType.RELEASE_EXPIRED.wire(), null, release, null));
        }
    }

    /** Checks a {@code set_instance_state} payload before anything is looked up or forwarded. */
    static void check(ObjectNode payload) {
        instanceId(payload.get("instance_id"));
        ObjectNode state = state(payload.get("state"));
        if (state.has("status")) {
            status(state.get("status"));
        }
        if (state.has("current_task_id")) {
            currentTaskId(state.get("current_task_id"));
        }
        if (state.has("working_directory")) {
            workingDirectory(state.get("working_directory"));
        }
        if (state.has("metadata")) {
            TaskFields.metadata(state.get("metadata"));
        }
    }

    static String instanceId(JsonNode node) {
        String problem = Instance.idProblem(node == null || !node.isTextual() ? null : node.asText());
        if (problem != null) {
            throw Rejection.invalid(problem);
        }
        return node.asText();
    }

    static Long currentTaskIdOf(ObjectNode payload) {
        JsonNode state = payload.get("state");
        return state != null && state.isObject() && state.has("current_task_id")
                ? currentTaskId(state.get("current_task_id")) : null;
    }

    private static ObjectNode state(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw Rejection.invalid("state must be a JSON object of current_task_id, status, working_directory, metadata");
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!STATE_FIELDS.contains(name)) {
                throw Rejection.invalid("Invalid field: " + Rejection.shown(name));
            }
        });
        return (ObjectNode) node;
    }

    private static InstanceStatus status(JsonNode node) {
        return node != null && node.isTextual() ? InstanceStatus.parse(node.asText()).orElseThrow(InstanceHandler::invalidStatus)
                : fail(invalidStatus());
    }

    private static Long currentTaskId(JsonNode node) {
        return node == null || node.isNull() ? null : TaskFields.taskId(node, "current_task_id");
    }

    private static String workingDirectory(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw Rejection.invalid("working_directory must be a string");
        }
        if (node.asText().length() > MAX_DIRECTORY_CHARS) {
            throw Rejection.invalid("working_directory is too long: at most " + MAX_DIRECTORY_CHARS + " characters");
        }
        return node.asText();
    }

    private static Rejection invalidStatus() {
        return Rejection.invalid("Invalid status. Must be one of: " + InstanceStatus.VALID);
    }

    private static <T> T fail(Rejection r) {
        throw r;
    }

    private boolean due(Instance i, Instant now) {
        return i.expiredAt() == null && !i.isActive(now, timeout);
    }

    private List<Instance> matching(java.util.function.Predicate<Instance> test) {
        List<Instance> found = new ArrayList<>();
        try (KeyValueIterator<String, Instance> it = instances.all()) {
            while (it.hasNext()) {
                KeyValue<String, Instance> kv = it.next();
                if (test.test(kv.value)) {
                    found.add(kv.value);
                }
            }
        }
        return found;
    }

    private void save(Instance instance) {
        boolean created = instances.get(instance.instanceId()) == null;
        instances.put(instance.instanceId(), instance.stored());
        out.instance(created, instance.at(out.changedAt(), timeout));
    }

    private static Instance withCurrentTask(Instance i, Long taskId, Instant expiredAt) {
        return new Instance(i.instanceId(), i.status(), taskId, i.workingDirectory(), i.metadata(), i.lastHeartbeat(),
                expiredAt, null);
    }

    private static Instant latest(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
