package io.taskstate.app.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.protocol.Command;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Heartbeat;
import io.taskstate.protocol.Instance;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Outcome;
import io.taskstate.protocol.Partitioning;
import io.taskstate.protocol.Reply;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the commands and heartbeats of one partition. Each input is validated against the
 * current state and applied in one step: stores, indexes, dedup entry, snapshots, forwarded
 * commands and the reply are all written inside the same exactly-once transaction.
 *
 * <p>Processing is deterministic: the time of a change is the input record's timestamp, never the
 * wall clock, so re-processing an input after an aborted transaction yields the same ids, state and
 * reply. The SDK relies on that to read replies before they commit (see the README). The one
 * wall-clock part, noticing silent instances, only sends this partition an
 * {@link CommandType#EXPIRE_INSTANCES} command; the expiry itself happens when that command is
 * processed, in order with everything else.
 */
final class CommandProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger log = LoggerFactory.getLogger(CommandProcessor.class);
    private static final Duration DEDUP_SWEEP = Duration.ofMinutes(1);

    private final Settings settings;
    private final Progress progress;
    private final ClaimQueues claims;
    private final CommandMeters meters;
    private ProcessorContext<byte[], byte[]> context;
    private Output out;
    private DeadLetters deadLetters;
    private Dedup dedup;
    private TaskHandler tasks;
    private TaskHistory history;
    private InstanceHandler instances;
    private int partition;
    private boolean expiryRequested;
    private boolean leaseExpiryRequested;

    /** What the processor is configured with. */
    record Settings(int partitions, Duration dedupRetention, Duration instanceTimeout, ExpiryPolicy expiryPolicy,
                    Duration expiryCheckInterval, String heartbeatsTopic, String internalTopic, int historyLimit) {
    }

    CommandProcessor(Settings settings, Progress progress, ClaimQueues claims, CommandMeters meters) {
        this.meters = meters;
        this.settings = settings;
        this.progress = progress;
        this.claims = claims;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.partition = context.taskId().partition();
        // A revived task is initialised again on this same object, and the request it was waiting for
        // may have been lost with the aborted transaction.
        this.expiryRequested = false;
        this.leaseExpiryRequested = false;
        this.out = new Output(context);
        this.deadLetters = new DeadLetters(context);
        this.dedup = new Dedup(context.getStateStore(TaskStores.DEDUP), context.getStateStore(TaskStores.DEDUP_EXPIRY),
                settings.dedupRetention());
        this.history = new TaskHistory(context.getStateStore(TaskStores.HISTORY), settings.historyLimit());
        this.tasks = new TaskHandler(settings.partitions(), partition, context.getStateStore(TaskStores.TASKS),
                context.getStateStore(TaskStores.TASK_INDEX), context.getStateStore(TaskStores.SEQUENCE),
                context.getStateStore(TaskStores.LEASES),
                claims.rebuild(partition, context.getStateStore(TaskStores.TASK_INDEX)),
                context.getStateStore(TaskStores.DEPENDENTS), out, history,
                new TaskStats(context.getStateStore(TaskStores.STATS), context.getStateStore(TaskStores.TASKS)));
        this.instances = new InstanceHandler(settings.partitions(), partition, settings.instanceTimeout(),
                settings.expiryPolicy(), context.getStateStore(TaskStores.INSTANCES), out);
        context.schedule(DEDUP_SWEEP, PunctuationType.STREAM_TIME, dedup::expire);
        context.schedule(settings.expiryCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::checkExpiry);
        context.schedule(settings.expiryCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::checkLeases);
        progress.started(partition);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        out.at(record.timestamp());
        boolean heartbeat = context.recordMetadata().map(m -> m.topic().equals(settings.heartbeatsTopic())).orElse(false);
        if (heartbeat) {
            processHeartbeat(record);
            return;
        }
        processCommand(record);
        // only once the command is applied: a read that sees this offset must see its effect
        context.recordMetadata().ifPresent(m -> progress.processed(m.topic().equals(settings.internalTopic())
                ? Progress.Log.INTERNAL : Progress.Log.COMMANDS, partition, m.offset()));
    }

    private void processCommand(Record<byte[], byte[]> record) {
        Command command;
        try {
            command = parse(record.value());
        } catch (IllegalArgumentException e) {
            deadLetter(record, DeadLetters.Reason.UNREADABLE, e.getMessage());
            return;
        }
        CommandType type = CommandType.parse(command.type()).orElse(null);
        if (type == null) {
            deadLetter(record, DeadLetters.Reason.UNKNOWN_TYPE, "unknown command type '" + Rejection.shown(command.type()) + "'");
            return;
        }
        try {
            process(command, type, record.timestamp());
        } catch (KafkaException e) {
            throw e; // Kafka Streams' own: a store or producer failure, a migrated task; it recovers from these
        } catch (RuntimeException e) {
            // A bug, not bad input: the checks should have refused it. Dead-lettered, the partition goes on.
            log.error("Applying command {} failed; it goes to the dead-letter topic", command.commandId(), e);
            deadLetter(record, DeadLetters.Reason.FAILED, "applying it failed: " + e);
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, DeadLetters.Reason reason, String detail) {
        deadLetters.send(record, reason, detail);
        replyToUnreadable(record, detail);
    }

    private void process(Command command, CommandType type, long timestamp) {
        Dedup.Entry previous = dedup.get(command.commandId());
        if (previous != null) {
            if (previous.forwarded() != null) {
                forward(previous.forwarded());
            } else if (previous.reply() != null) {
                out.reply(previous.reply().to(command.clientId()));
            }
            return;
        }
        Instant now = timeOf(command, timestamp);
        tasks.dependencies().causedBy(command.commandId());
        history.begin(command, now);
        out.cause(type.wire(), command.clientId(), now);
        Dedup.Entry entry;
        try {
            entry = apply(type, command, now);
        } catch (Rejection r) {
            entry = new Dedup.Entry(Reply.failed(command, r.outcome, r.getMessage()), null);
        }
        dedup.remember(command.commandId(), timestamp, entry);
        meters.applied(type.wire(), entry.forwarded() != null ? "forwarded" : entry.reply() == null ? "applied"
                : entry.reply().outcome().wire(), command.issuedAt(), Instant.now());
        if (entry.forwarded() != null) {
            forward(entry.forwarded());
        } else if (entry.reply() != null) {
            out.reply(entry.reply());
        }
    }

    /**
     * The time of the change a command makes: its issue time, to the microsecond, when that is
     * within a second of the record's timestamp; the record's timestamp otherwise. Either comes
     * from the record, so re-processing gives the same time.
     */
    static Instant timeOf(Command command, long recordTimestamp) {
        Instant recorded = Instant.ofEpochMilli(recordTimestamp);
        Instant issued = command.issuedAt();
        if (issued == null || Duration.between(issued, recorded).abs().compareTo(PLAUSIBLE_ISSUE_SKEW) > 0) {
            return recorded;
        }
        return issued.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    private static final Duration PLAUSIBLE_ISSUE_SKEW = Duration.ofSeconds(1);

    private Dedup.Entry apply(CommandType type, Command command, Instant now) {
        return switch (type) {
            case CREATE_TASK -> ok(command, tasks.create(command, now));
            case UPDATE_TASK -> ok(command, tasks.update(command, now));
            case DELETE_TASK -> ok(command, tasks.delete(command));
            case CLAIM_TASK -> ok(command, tasks.claim(command, now));
            case RELEASE_TASK -> ok(command, tasks.release(command, now));
            case COMPLETE_TASK -> ok(command, tasks.complete(command, now));
            case RENEW_LEASE -> ok(command, tasks.renew(command, now, false));
            case RENEW_FROM_HEARTBEAT -> {
                tasks.renew(command, now, true);
                yield new Dedup.Entry(null, null);
            }
            case SET_CURRENT_TASK -> {
                instances.setCurrentTask(command.payload(), now);
                yield new Dedup.Entry(null, null);
            }
            case EXPIRE_LEASES -> {
                leaseExpiryRequested = false;
                tasks.expireLeases(now, command.commandId());
                yield new Dedup.Entry(null, null);
            }
            case SET_INSTANCE_STATE -> setInstanceState(command, now);
            case APPLY_INSTANCE_STATE -> ok(command, instances.apply(command.payload(), now));
            case CLEAR_CURRENT_TASK -> {
                instances.clearCurrentTask(command.payload().path("task_ids"));
                yield new Dedup.Entry(null, null);
            }
            case EXPIRE_INSTANCES -> {
                expiryRequested = false;
                instances.expire(now);
                yield new Dedup.Entry(null, null);
            }
            case WATCH_DEPENDENCY -> {
                tasks.dependencies().watch(command.payload(), command.commandId());
                yield new Dedup.Entry(null, null);
            }
            case UNWATCH_DEPENDENCY -> {
                tasks.dependencies().unwatch(command.payload());
                yield new Dedup.Entry(null, null);
            }
            case DEPENDENCY_STATUS -> {
                tasks.dependencies().status(command.payload());
                yield new Dedup.Entry(null, null);
            }
            case RELEASE_EXPIRED -> {
                ObjectNode p = command.payload();
                tasks.releaseExpired(p.path("instance_id").asText(), Instant.ofEpochMilli(p.path("expired_at").asLong()),
                        settings.expiryPolicy(), p.path("reason").asText());
                yield new Dedup.Entry(null, null);
            }
        };
    }

    /**
     * Checked here, then applied where the instance lives. When the state names a current task, the
     * command comes to that task's partition first, which checks the task exists.
     */
    private Dedup.Entry setInstanceState(Command command, Instant now) {
        InstanceHandler.check(command.payload());
        Long taskId = InstanceHandler.currentTaskIdOf(command.payload());
        if (taskId != null && Partitioning.partitionOfTask(taskId, settings.partitions()) != partition) {
            return forwarded(command, CommandType.SET_INSTANCE_STATE);
        }
        if (taskId != null) {
            tasks.requireExists(taskId);
        }
        String instanceId = InstanceHandler.instanceId(command.payload().get("instance_id"));
        if (instances.owns(instanceId)) {
            return ok(command, instances.apply(command.payload(), now));
        }
        return forwarded(command, CommandType.APPLY_INSTANCE_STATE);
    }

    private void processHeartbeat(Record<byte[], byte[]> record) {
        Heartbeat heartbeat;
        try {
            heartbeat = readHeartbeat(record.value());
            InstanceHandler.instanceId(Json.MAPPER.valueToTree(heartbeat.instanceId()));
            if (tooLong(heartbeat.commandId()) || tooLong(heartbeat.clientId())) {
                throw new IllegalArgumentException("command_id and client_id must be at most " + MAX_ID_CHARS + " characters");
            }
        } catch (RuntimeException e) {
            deadLetters.send(record, DeadLetters.Reason.BAD_HEARTBEAT, "unreadable heartbeat: " + e.getMessage());
            return;
        }
        if (!instances.owns(heartbeat.instanceId())) {
            deadLetters.send(record, DeadLetters.Reason.WRONG_PARTITION, "heartbeat of " + heartbeat.instanceId() + " on partition "
                    + partition + ", but it belongs on " + instances.partitionOf(heartbeat.instanceId()));
            return;
        }
        out.cause("heartbeat", heartbeat.clientId(), Instant.ofEpochMilli(record.timestamp()));
        Instance instance = instances.heartbeat(heartbeat.instanceId(), Instant.ofEpochMilli(record.timestamp()));
        if (heartbeat.wantsReply()) {
            out.reply(new Reply(heartbeat.commandId(), heartbeat.clientId(), Outcome.OK, null, Json.MAPPER.valueToTree(instance)));
        }
    }

    /** A heartbeat as the SDK writes it; a number for instance_id is refused, not read as its digits. */
    private static Heartbeat readHeartbeat(byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("empty record: a heartbeat needs a JSON object with instance_id");
        }
        JsonNode tree;
        try {
            tree = Json.tree(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (tree == null || !tree.isObject() || !tree.path("instance_id").isTextual()) {
            throw new IllegalArgumentException("a heartbeat must be a JSON object whose instance_id is a string");
        }
        return Json.convert(tree, Heartbeat.class);
    }

    /** Wall clock: if an instance of this partition went silent, ask this partition to expire it. */
    private void checkExpiry(long wallClock) {
        if (!expiryRequested && instances.anyDue(Instant.ofEpochMilli(wallClock))) {
            expiryRequested = true;
            out.at(wallClock);
            forward(new Command("expire-instances:" + partition + ":" + wallClock, "taskstate",
                    CommandType.EXPIRE_INSTANCES.wire(), null, Json.object(), null));
        }
    }

    /** Wall clock: if a lease of this partition ran out, ask this partition to hand the task back. */
    private void checkLeases(long wallClock) {
        if (!leaseExpiryRequested && tasks.anyLeaseDue(Instant.ofEpochMilli(wallClock))) {
            leaseExpiryRequested = true;
            out.at(wallClock);
            forward(new Command("expire-leases:" + partition + ":" + wallClock, "taskstate",
                    CommandType.EXPIRE_LEASES.wire(), null, Json.object(), null));
        }
    }

    private void forward(Command command) {
        String key = switch (CommandType.parse(command.type()).orElseThrow()) {
            case SET_INSTANCE_STATE -> Long.toString(InstanceHandler.currentTaskIdOf(command.payload()));
            case APPLY_INSTANCE_STATE -> Partitioning.routingKey(instances.partitionOf(
                    InstanceHandler.instanceId(command.payload().get("instance_id"))));
            default -> Partitioning.routingKey(partition);
        };
        out.command(key, command);
    }

    private static Dedup.Entry forwarded(Command command, CommandType as) {
        return new Dedup.Entry(null, new Command(command.commandId(), command.clientId(), as.wire(), command.taskId(),
                command.payload(), command.expect()));
    }

    private static Dedup.Entry ok(Command command, Object result) {
        return new Dedup.Entry(Reply.ok(command, Json.MAPPER.valueToTree(result)), null);
    }

    /** A dead-lettered command that still names its sender is answered, so the caller need not wait for a timeout. */
    private void replyToUnreadable(Record<byte[], byte[]> record, String reason) {
        JsonNode tree;
        try {
            tree = Json.tree(record.value());
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (tree != null && tree.path("command_id").isTextual() && tree.path("client_id").isTextual()
                && !tree.path("command_id").asText().isEmpty() && !tree.path("client_id").asText().isEmpty()) {
            out.reply(new Reply(tree.path("command_id").asText(), tree.path("client_id").asText(), Outcome.INVALID,
                    "Unreadable command (" + reason + "); it went to the dead-letter topic and changed nothing", null));
        }
    }

    /** Longest command id, client id and type: they key the dedup store and the replies. */
    static final int MAX_ID_CHARS = 256;

    private static boolean tooLong(String id) {
        return id != null && id.length() > MAX_ID_CHARS;
    }

    static Command parse(byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("empty record: a command needs a JSON envelope");
        }
        JsonNode tree;
        try {
            tree = Json.tree(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("a command envelope must be a JSON object");
        }
        for (String required : List.of("command_id", "client_id", "type")) {
            if (!tree.path(required).isTextual() || tree.path(required).asText().isEmpty()) {
                throw new IllegalArgumentException("envelope field '" + required + "' must be a non-empty string");
            }
            if (tooLong(tree.path(required).asText())) {
                throw new IllegalArgumentException("envelope field '" + required + "' must be at most " + MAX_ID_CHARS + " characters");
            }
        }
        JsonNode payload = tree.get("payload");
        if (payload != null && !payload.isNull() && !payload.isObject()) {
            throw new IllegalArgumentException("envelope field 'payload' must be an object");
        }
        JsonNode expect = tree.get("expect");
        if (expect != null && !expect.isNull() && !expect.isObject()) {
            throw new IllegalArgumentException("envelope field 'expect' must be an object");
        }
        JsonNode taskId = tree.get("task_id");
        if (taskId != null && !taskId.isNull() && !(taskId.isIntegralNumber() && taskId.canConvertToLong())) {
            throw new IllegalArgumentException("envelope field 'task_id' must be an integer");
        }
        try {
            return Json.MAPPER.treeToValue(tree, Command.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable envelope: " + e.getMessage());
        }
    }
}
