package io.taskstate.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.taskstate.client.InstanceUpdate;
import io.taskstate.client.TaskStateClient;
import io.taskstate.protocol.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code taskstate instance ...}: heartbeats and state of agent instances. */
@Command(name = "instance", mixinStandardHelpOptions = true,
        description = "Heartbeats and state of agent instances (workers).",
        subcommands = {InstanceCommand.Heartbeat.class, InstanceCommand.State.class, InstanceCommand.Get.class,
                InstanceCommand.ListInstances.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:unexpected failure", "2:usage error", "4:not found", "5:invalid input",
                "6:conflict", "7:timeout or unavailable"})
public final class InstanceCommand {

    @Command(name = "heartbeat", mixinStandardHelpOptions = true,
            description = "Record a heartbeat and print the instance; the first one creates it.")
    static final class Heartbeat extends ClientCommand {
        @Parameters(index = "0", paramLabel = "INSTANCE", description = "The instance's id, e.g. worker-1.")
        String instanceId;

        @Override
        int run(TaskStateClient client, Output out) {
            out.instance(client.heartbeat(instanceId));
            return ExitCodes.OK;
        }
    }

    @Command(name = "state", mixinStandardHelpOptions = true,
            description = "Change the instance's state (only what is given; creating it if needed) and print it. Counts as a heartbeat.")
    static final class State extends ClientCommand {
        @Parameters(index = "0", paramLabel = "INSTANCE", description = "The instance's id, e.g. worker-1.")
        String instanceId;

        @Option(names = "--status", paramLabel = "STATUS", description = "active, idle or busy.")
        String status;

        @ArgGroup(exclusive = true)
        CurrentTask currentTask;

        @Option(names = "--working-directory", paramLabel = "DIR", description = "Where it works.")
        String workingDirectory;

        @Option(names = "--metadata", paramLabel = "JSON", converter = ClientCommand.JsonValue.class,
                description = "A JSON object that replaces the instance's metadata.")
        JsonNode metadata;

        static final class CurrentTask {
            @Option(names = "--current-task", paramLabel = "ID", required = true, description = "The task it works on; it must exist.")
            Long id;

            @Option(names = "--no-current-task", required = true, description = "It works on no task.")
            boolean none;
        }

        @Override
        int run(TaskStateClient client, Output out) {
            // sent as given, so the server's rules and wording apply
            ObjectNode state = Json.object();
            if (status != null) {
                state.put("status", status);
            }
            if (currentTask != null) {
                if (currentTask.none) {
                    state.putNull("current_task_id");
                } else {
                    state.put("current_task_id", currentTask.id);
                }
            }
            if (workingDirectory != null) {
                state.put("working_directory", workingDirectory);
            }
            if (metadata != null) {
                state.set("metadata", metadata);
            }
            out.instance(client.setInstanceState(instanceId, InstanceUpdate.from(state)));
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print one instance, with active computed now.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", paramLabel = "INSTANCE", description = "The instance's id, e.g. worker-1.")
        String instanceId;

        @Override
        int run(TaskStateClient client, Output out) {
            out.instance(client.getInstanceState(instanceId));
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List instances, most recent heartbeat first: the active ones, or with --all every one.")
    static final class ListInstances extends ClientCommand {
        @Option(names = "--all", description = "Include instances that stopped heartbeating.")
        boolean all;

        @Override
        int run(TaskStateClient client, Output out) {
            out.instances(client.listInstances(!all));
            return ExitCodes.OK;
        }
    }
}
