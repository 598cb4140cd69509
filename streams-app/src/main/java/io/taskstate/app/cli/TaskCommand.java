package io.taskstate.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.client.DeletedTasks;
import io.taskstate.client.TaskPage;
import io.taskstate.client.TaskQuery;
import io.taskstate.client.TaskStateClient;
import io.taskstate.client.TaskStateException;
import io.taskstate.client.TaskUpdate;
import io.taskstate.protocol.ClaimFilter;
import io.taskstate.protocol.CommandType;
import io.taskstate.protocol.Json;
import io.taskstate.protocol.Priority;
import io.taskstate.protocol.Task;
import io.taskstate.protocol.TaskStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code taskstate task ...}: create, read, change and claim tasks. */
@Command(name = "task", mixinStandardHelpOptions = true,
        description = "Create, read, update, delete and claim tasks. Writes go to Kafka, reads to the HTTP API.",
        subcommands = {TaskCommand.Create.class, TaskCommand.Get.class, TaskCommand.ListTasks.class,
                TaskCommand.Update.class, TaskCommand.Delete.class, TaskCommand.Claim.class,
                TaskCommand.ClaimNext.class, TaskCommand.Complete.class, TaskCommand.Release.class,
                TaskTransfer.Import.class, TaskTransfer.Export.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:unexpected failure", "2:usage error", "3:nothing available (claim-next)",
                "4:not found", "5:invalid input", "6:conflict", "7:timeout or unavailable"})
public final class TaskCommand {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a task and print it.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "TITLE", description = "The task's title.")
        String title;

        @Option(names = "--description", paramLabel = "TEXT", description = "What is to be done.")
        String description;

        @Option(names = "--priority", paramLabel = "PRIORITY", description = "low, medium (default), high or critical.")
        String priority;

        @Option(names = "--status", paramLabel = "STATUS", description = "pending (default), in_progress, completed or blocked.")
        String status;

        @Option(names = "--assignee", paramLabel = "NAME", description = "Who works on it.")
        String assignee;

        @Option(names = "--parent", paramLabel = "ID", description = "Make it a subtask of task ID.")
        Long parent;

        @Option(names = "--metadata", paramLabel = "JSON", converter = JsonValue.class,
                description = "A JSON object, e.g. '{\"team\": \"backend\"}'.")
        JsonNode metadata;

        @Option(names = "--depends-on", paramLabel = "ID", split = ",",
                description = "Tasks that must be completed before this one can be claimed, e.g. --depends-on 12,15.")
        List<Long> dependsOn;

        @Option(names = "--command-id", paramLabel = "ID",
                description = "Id of this write; retrying with the same id creates the task at most once (default: random).")
        String commandId;

        @Override
        int run(TaskStateClient client, Output out) {
            ObjectNode p = Json.object();
            p.put("title", title);
            putIfSet(p, "description", description);
            putIfSet(p, "status", status);
            putIfSet(p, "priority", priority);
            putIfSet(p, "assignee", assignee);
            if (parent != null) {
                p.put("parent_task_id", parent);
            }
            if (metadata != null) {
                p.set("metadata", metadata);
            }
            if (dependsOn != null) {
                p.set("depends_on", Json.MAPPER.valueToTree(dependsOn));
            }
            // the payload goes through unchanged, so the server's rules and wording apply
            JsonNode created = await(client.write(CommandType.CREATE_TASK, null, parent, p, null, idOrRandom(commandId)));
            out.task(Json.convert(created, Task.class));
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print one task, with its subtask ids.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The task's id.")
        long id;

        @Override
        int run(TaskStateClient client, Output out) {
            out.task(client.getTask(id));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List tasks, newest first unless --sort says otherwise. Every filter given must match; text filters are case-insensitive.")
    static final class ListTasks extends ClientCommand {
        @picocli.CommandLine.ArgGroup(exclusive = false, heading = "Filters and order:%n")
        QueryOptions filters = new QueryOptions();

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
                description = "At most N tasks, 1 to 1000 (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--all", description = "Every matching task, fetched page by page; --limit does not apply.")
        boolean all;

        @Override
        int run(TaskStateClient client, Output out) {
            TaskQuery q = filters.query();
            if (all) {
                List<Task> tasks;
                try (var stream = client.queryTasks(q.pageSize(1000))) {
                    tasks = stream.toList();
                }
                out.tasks(tasks);
                return ExitCodes.OK;
            }
            TaskPage page = client.queryPage(q.pageSize(limit), null);
            out.tasks(page.tasks());
            if (page.nextCursor() != null && !out.json()) {
                spec.commandLine().getErr().println("(more tasks match: raise --limit or use --all)");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = {"Change the fields given and print the task.",
                    "With --expect the change applies only while the task still has those values (compare-and-set)."})
    static final class Update extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The task's id.")
        long id;

        @Option(names = "--title", paramLabel = "TEXT", description = "New title.")
        String title;

        @Option(names = "--description", paramLabel = "TEXT", description = "New description.")
        String description;

        @Option(names = "--status", paramLabel = "STATUS", description = "pending, in_progress, completed or blocked.")
        String status;

        @Option(names = "--priority", paramLabel = "PRIORITY", description = "low, medium, high or critical.")
        String priority;

        @Option(names = "--assignee", paramLabel = "NAME", description = "New assignee; clear it with --set assignee=null.")
        String assignee;

        @Option(names = "--parent", paramLabel = "ID", description = "Move it under task ID.")
        Long parent;

        @Option(names = "--metadata", paramLabel = "JSON", converter = JsonValue.class,
                description = "A JSON object that replaces the task's metadata.")
        JsonNode metadata;

        @Option(names = "--depends-on", paramLabel = "ID", split = ",",
                description = "Replaces the tasks it waits for, e.g. --depends-on 12,15; clear them with --set depends_on=[].")
        List<Long> dependsOn;

        @Option(names = "--set", paramLabel = "FIELD=VALUE",
                description = {"Any field by its API name; repeatable. VALUE is read as JSON when it is JSON "
                        + "(5, null, [\"a\"]), else as text: --set assignee=null, --set 'metadata={\"k\": 1}'."})
        Map<String, String> set = new LinkedHashMap<>();

        @Option(names = "--expect", paramLabel = "FIELD=VALUE",
                description = "Apply only if the task's FIELD currently equals VALUE (read as for --set); repeatable, "
                        + "e.g. --expect status=pending.")
        Map<String, String> expect = new LinkedHashMap<>();

        @Option(names = "--command-id", paramLabel = "ID",
                description = "Id of this write; retrying with the same id applies it at most once (default: random).")
        String commandId;

        @Override
        int run(TaskStateClient client, Output out) {
            TaskUpdate u = TaskUpdate.of();
            if (title != null) {
                u.set("title", title);
            }
            if (description != null) {
                u.set("description", description);
            }
            if (status != null) {
                u.set("status", status);
            }
            if (priority != null) {
                u.set("priority", priority);
            }
            if (assignee != null) {
                u.set("assignee", assignee);
            }
            if (parent != null) {
                u.set("parent_task_id", parent);
            }
            if (metadata != null) {
                u.set("metadata", metadata);
            }
            if (dependsOn != null) {
                u.dependsOn(dependsOn);
            }
            set.forEach((field, value) -> u.set(field, jsonOrString(value)));
            expect.forEach((field, value) -> u.expect(field, jsonOrString(value)));
            out.task(await(client.updateTaskAsync(id, u, idOrRandom(commandId))));
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a task and every descendant.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The task's id.")
        long id;

        @Option(names = "--command-id", paramLabel = "ID",
                description = "Id of this write; retrying with the same id applies it at most once (default: random).")
        String commandId;

        @Override
        int run(TaskStateClient client, Output out) {
            DeletedTasks deleted = await(client.deleteTaskAsync(id, idOrRandom(commandId)));
            if (out.json()) {
                out.printJson(deleted);
            } else {
                out.line("deleted " + deleted.deletedIds().size() + (deleted.deletedIds().size() == 1 ? " task: " : " tasks: ")
                        + deleted.deletedIds().stream().map(String::valueOf).collect(Collectors.joining(", ")));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "claim", mixinStandardHelpOptions = true,
            description = {"Take a pending task for ASSIGNEE: it becomes in_progress, held by them.",
                    "Exits 6 naming the holder when it is not pending."})
    static final class Claim extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The task's id.")
        long id;

        @Option(names = "--assignee", paramLabel = "NAME", required = true, description = "Who takes it (the worker's instance id).")
        String assignee;

        @Option(names = "--lease", paramLabel = "DURATION",
                description = "Hand it back to pending unless renewed within this time, ISO-8601 (e.g. PT10M).")
        Duration lease;

        @Override
        int run(TaskStateClient client, Output out) {
            out.task(client.claim(id, assignee, lease));
            return ExitCodes.OK;
        }
    }

    @Command(name = "claim-next", mixinStandardHelpOptions = true,
            description = {"Take the best pending task the filters allow: critical first, then oldest.",
                    "Prints \"nothing available\" (null with --json) and exits 3 when there is none."})
    static final class ClaimNext extends ClientCommand {
        @Option(names = "--assignee", paramLabel = "NAME", required = true, description = "Who takes it (the worker's instance id).")
        String assignee;

        @Option(names = "--priority", paramLabel = "PRIORITY", description = "Only tasks of this priority.")
        String priority;

        @Option(names = "--unassigned-only", description = "Only tasks without an assignee.")
        boolean unassignedOnly;

        @Option(names = "--parent", paramLabel = "ID", description = "Only subtasks of task ID.")
        Long parent;

        @Option(names = "--title-contains", paramLabel = "TEXT", description = "Only tasks whose title contains TEXT (any case).")
        String titleContains;

        @Option(names = "--metadata", paramLabel = "KEY=VALUE",
                description = "Only tasks whose metadata KEY equals VALUE (read as JSON when it is JSON, else as text), "
                        + "or, for an array, contains it; repeatable.")
        Map<String, String> metadata = new LinkedHashMap<>();

        @Option(names = "--lease", paramLabel = "DURATION", description = "Lease of the claim, ISO-8601 (e.g. PT10M).")
        Duration lease;

        @Override
        int run(TaskStateClient client, Output out) {
            ClaimFilter filter = ClaimFilter.ANY;
            if (priority != null) {
                filter = filter.priority(priority(priority));
            }
            if (unassignedOnly) {
                filter = filter.onlyUnassigned();
            }
            if (parent != null) {
                filter = filter.parent(parent);
            }
            if (titleContains != null) {
                filter = filter.titleContains(titleContains);
            }
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                filter = filter.metadata(m.getKey(), jsonOrString(m.getValue()));
            }
            Optional<Task> claimed = client.claimNext(assignee, filter, lease);
            if (claimed.isEmpty()) {
                out.line(out.json() ? "null" : "nothing available");
                return ExitCodes.NOTHING_AVAILABLE;
            }
            out.task(claimed.get());
            return ExitCodes.OK;
        }
    }

    @Command(name = "complete", mixinStandardHelpOptions = true,
            description = "The holder marks the task completed, merging --metadata into the task's.")
    static final class Complete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The task's id.")
        long id;

        @Option(names = "--assignee", paramLabel = "NAME", required = true, description = "The holder.")
        String assignee;

        @Option(names = "--metadata", paramLabel = "JSON", converter = JsonValue.class,
                description = "A JSON object merged into the task's metadata, e.g. '{\"rows\": 1200}'.")
        JsonNode metadata;

        @Option(names = "--force", description = "Complete it even if ASSIGNEE does not hold it.")
        boolean force;

        @Override
        @SuppressWarnings("unchecked")
        int run(TaskStateClient client, Output out) {
            Map<String, Object> extra = null;
            if (metadata != null) {
                if (!metadata.isObject()) {
                    throw new TaskStateException.Invalid("metadata must be a JSON object, got "
                            + metadata.getNodeType().toString().toLowerCase(java.util.Locale.ROOT), null);
                }
                extra = Json.MAPPER.convertValue(metadata, Map.class);
            }
            out.task(await(client.completeAsync(id, assignee, extra, force)));
            return ExitCodes.OK;
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true,
            description = "The holder hands the task back to pending.")
    static final class Release extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The task's id.")
        long id;

        @Option(names = "--assignee", paramLabel = "NAME", required = true, description = "The holder.")
        String assignee;

        @Option(names = "--force", description = "Release it even if ASSIGNEE does not hold it.")
        boolean force;

        @Override
        int run(TaskStateClient client, Output out) {
            out.task(await(client.releaseAsync(id, assignee, force)));
            return ExitCodes.OK;
        }
    }

    /** A priority filter, refused with the server's wording. */
    static Priority priority(String wire) {
        return Priority.parse(wire).orElseThrow(() -> new TaskStateException.Invalid(
                "Invalid priority. Must be one of: " + Priority.VALID, null));
    }

    private static void putIfSet(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static String idOrRandom(String commandId) {
        return commandId == null || commandId.isBlank() ? UUID.randomUUID().toString() : commandId;
    }
}
