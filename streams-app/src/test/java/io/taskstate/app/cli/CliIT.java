package io.taskstate.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.Main;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.protocol.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/**
 * The {@code task} and {@code instance} commands end to end on a real broker, run in this JVM the
 * way {@code bin/taskstate} runs them: output, {@code --json}, exit codes and error lines.
 */
@ExtendWith(KafkaBroker.class)
class CliIT {
    private static final Pattern ID_LINE = Pattern.compile("(?m)^id:\\s+(\\d+)$");
    private static RunningApp app;

    @BeforeAll
    static void start() {
        app = RunningApp.start(2);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void depends_on_makes_a_task_wait_until_it_is_cleared() throws Exception {
        String tag = unique();
        long first = idOf(taskstate("task", "create", tag + " first"));

        // Given a task created to wait for the first
        Run waiting = taskstate("task", "create", tag + " second", "--depends-on", Long.toString(first));
        long second = idOf(waiting);

        // When it is claimed, then its dependencies are cleared
        Run refused = taskstate("task", "claim", Long.toString(second), "--assignee", "w1");
        Run cleared = taskstate("task", "update", Long.toString(second), "--set", "depends_on=[]", "--json");

        // Then
        assertThat(waiting.out()).containsPattern("(?m)^depends_on:\\s+\\[" + first + "]$").containsPattern("(?m)^ready:\\s+false$");
        assertThat(refused.exit()).isEqualTo(6);
        assertThat(refused.err()).contains("waiting for its dependencies: " + first);
        assertThat(Json.MAPPER.readTree(cleared.out()).get("ready").asBoolean()).isTrue();
    }

    @Test
    void create_then_get_then_list_print_the_task_as_lines_a_table_and_json() throws Exception {
        String tag = unique();

        // Given a task created from the command line, and a subtask of it
        Run created = taskstate("task", "create", tag + " Build authentication", "--priority", "critical",
                "--description", "login and sessions", "--metadata", "{\"team\": \"backend\"}");
        long parent = idOf(created);
        long child = idOf(taskstate("task", "create", tag + " Design schema", "--parent", Long.toString(parent),
                "--priority", "high"));

        // When it is read back
        Run got = taskstate("task", "get", Long.toString(parent));
        Run gotJson = taskstate("task", "get", Long.toString(parent), "--json");
        Run table = taskstate("task", "list", "--title-contains", tag);
        Run listJson = taskstate("task", "list", "--title-contains", tag, "--json");
        Run children = taskstate("task", "list", "--parent", Long.toString(parent), "--json");

        // Then every form shows it as the API does
        assertThat(created.exit()).isZero();
        assertThat(created.out()).containsPattern("(?m)^title:\\s+" + tag + " Build authentication$")
                .containsPattern("(?m)^status:\\s+pending$").containsPattern("(?m)^priority:\\s+critical$")
                .containsPattern("(?m)^metadata:\\s+\\{\"team\":\"backend\"}$");
        assertThat(got.exit()).isZero();
        assertThat(got.out()).containsPattern("(?m)^subtask_ids:\\s+\\[" + child + "]$")
                .containsPattern("(?m)^description:\\s+login and sessions$");
        JsonNode task = Json.MAPPER.readTree(gotJson.out());
        assertThat(task.get("id").asLong()).isEqualTo(parent);
        assertThat(task.get("metadata").get("team").asText()).isEqualTo("backend");
        assertThat(task.get("subtask_ids")).extracting(JsonNode::asLong).containsExactly(child);
        assertThat(task.has("parent_task_id")).isTrue();

        List<String> lines = table.out().lines().toList();
        assertThat(table.exit()).isZero();
        assertThat(lines.get(0)).matches("ID\\s+STATUS\\s+PRIORITY\\s+ASSIGNEE\\s+PARENT\\s+TITLE");
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1).split("\\s+")).startsWith(Long.toString(child), "pending", "high", "-", Long.toString(parent));
        assertThat(lines.get(2).split("\\s+")).startsWith(Long.toString(parent), "pending", "critical", "-", "-");
        assertThat(lines.get(0).indexOf("TITLE")).isEqualTo(lines.get(1).indexOf(tag)).isEqualTo(lines.get(2).indexOf(tag));

        JsonNode array = Json.MAPPER.readTree(listJson.out());
        assertThat(array.isArray()).isTrue();
        assertThat(array).extracting(t -> t.get("id").asLong()).containsExactly(child, parent);
        assertThat(Json.MAPPER.readTree(children.out())).extracting(t -> t.get("id").asLong()).containsExactly(child);
    }

    @Test
    void a_create_retried_with_the_same_command_id_creates_the_task_once() throws Exception {
        String tag = unique();
        String commandId = "retry-" + tag;

        long first = idOf(taskstate("task", "create", tag + " once", "--command-id", commandId));
        long second = idOf(taskstate("task", "create", tag + " once", "--command-id", commandId));

        assertThat(second).isEqualTo(first);
        assertThat(Json.MAPPER.readTree(taskstate("task", "list", "--title-contains", tag, "--json").out())).hasSize(1);
    }

    @Test
    void list_honours_limit_and_all_and_truncates_long_titles() throws Exception {
        String tag = unique();
        for (int i = 0; i < 3; i++) {
            taskstate("task", "create", tag + " " + i + " " + "x".repeat(100));
        }

        Run limited = taskstate("task", "list", "--title-contains", tag, "--limit", "2");
        Run all = taskstate("task", "list", "--title-contains", tag, "--all", "--json");
        Run tooMany = taskstate("task", "list", "--limit", "5000");

        assertThat(limited.exit()).isZero();
        assertThat(limited.out().lines()).hasSize(3).allSatisfy(line -> assertThat(line.length()).isLessThan(120));
        assertThat(limited.out().lines().skip(1)).allSatisfy(line -> assertThat(line).endsWith("..."));
        assertThat(limited.err()).contains("more tasks match");
        assertThat(Json.MAPPER.readTree(all.out())).hasSize(3);
        assertThat(tooMany.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(tooMany.err()).contains("limit must be an integer from 1 to 1000");
    }

    @Test
    void update_changes_fields_and_a_failed_expect_exits_6_with_the_servers_message() throws Exception {
        long id = idOf(taskstate("task", "create", unique() + " Review PR #1"));

        // When two reviewers take it with compare-and-set, one after the other
        Run won = taskstate("task", "update", Long.toString(id), "--status", "in_progress", "--assignee", "reviewer-alice",
                "--expect", "status=pending", "--set", "metadata={\"pr\": 1}", "--json");
        Run lost = taskstate("task", "update", Long.toString(id), "--status", "in_progress", "--assignee", "reviewer-bob",
                "--expect", "status=pending");

        // Then the first wins, and the second is told who holds it
        assertThat(won.exit()).isZero();
        JsonNode task = Json.MAPPER.readTree(won.out());
        assertThat(task.get("assignee").asText()).isEqualTo("reviewer-alice");
        assertThat(task.get("metadata").get("pr").asInt()).isEqualTo(1);
        assertThat(lost.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(lost.out()).isEmpty();
        assertThat(lost.err()).startsWith("taskstate: ").contains("in_progress").contains("reviewer-alice");
        assertThat(lost.err().lines()).hasSize(1);
        assertThat(taskstate("task", "update", Long.toString(id), "--set", "assignee=null").out())
                .doesNotContainPattern("(?m)^assignee:");
    }

    @Test
    void unknown_task_or_instance_exits_4_with_the_servers_message() {
        Run get = taskstate("task", "get", "424242");
        Run update = taskstate("task", "update", "424242", "--title", "x");
        Run instance = taskstate("instance", "get", "nobody-" + unique());

        assertThat(get.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(get.err()).isEqualTo("taskstate: Task 424242 not found\n");
        assertThat(get.out()).isEmpty();
        assertThat(update.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(update.err()).contains("Task 424242 not found");
        assertThat(instance.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(instance.err()).contains("not found");
    }

    @Test
    void invalid_status_exits_5_with_the_servers_message() {
        long id = idOf(taskstate("task", "create", unique() + " valid"));
        String message = "Invalid status. Must be one of: pending, in_progress, completed, blocked";

        Run create = taskstate("task", "create", "x", "--status", "done");
        Run update = taskstate("task", "update", Long.toString(id), "--status", "done");
        Run list = taskstate("task", "list", "--status", "done");
        Run priority = taskstate("task", "claim-next", "--assignee", "w", "--priority", "urgent");

        assertThat(List.of(create, update, list)).allSatisfy(run -> {
            assertThat(run.exit()).isEqualTo(ExitCodes.INVALID);
            assertThat(run.err()).isEqualTo("taskstate: " + message + "\n");
        });
        assertThat(priority.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(priority.err()).contains("Invalid priority. Must be one of: low, medium, high, critical");
    }

    @Test
    void unparseable_options_exit_2() {
        assertThat(taskstate("task", "get", "abc").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(taskstate("task", "create", "x", "--metadata", "{not json").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(taskstate("task", "claim", "1").exit()).as("--assignee is required").isEqualTo(ExitCodes.USAGE);
        assertThat(taskstate("task", "list", "--timeout", "ten seconds").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(taskstate("instance", "state", "w", "--current-task", "1", "--no-current-task").exit())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("task").exit()).as("a missing subcommand").isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void claim_release_and_complete_follow_the_holder() throws Exception {
        long id = idOf(taskstate("task", "create", unique() + " Process dataset A"));
        String task = Long.toString(id);

        // Given worker-1 holds the task under a lease
        Run claimed = taskstate("task", "claim", task, "--assignee", "worker-1", "--lease", "PT10M");
        // When others try to take it, release it or complete it
        Run taken = taskstate("task", "claim", task, "--assignee", "worker-2");
        Run notTheirs = taskstate("task", "release", task, "--assignee", "worker-2");
        Run released = taskstate("task", "release", task, "--assignee", "worker-1");
        Run reclaimed = taskstate("task", "claim", task, "--assignee", "worker-2");
        Run forced = taskstate("task", "release", task, "--assignee", "supervisor", "--force");
        taskstate("task", "claim", task, "--assignee", "worker-1");
        Run completed = taskstate("task", "complete", task, "--assignee", "worker-1", "--metadata", "{\"rows\": 1200}", "--json");
        Run notAnObject = taskstate("task", "complete", task, "--assignee", "worker-1", "--metadata", "[1]");

        // Then only the holder (or --force) moves it
        assertThat(claimed.exit()).isZero();
        assertThat(claimed.out()).containsPattern("(?m)^status:\\s+in_progress$").containsPattern("(?m)^assignee:\\s+worker-1$")
                .containsPattern("(?m)^lease_expires_at:");
        assertThat(taken.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(taken.err()).contains("worker-1");
        assertThat(notTheirs.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(released.exit()).isZero();
        assertThat(released.out()).containsPattern("(?m)^status:\\s+pending$");
        assertThat(reclaimed.exit()).isZero();
        assertThat(forced.exit()).isZero();
        assertThat(completed.exit()).isZero();
        JsonNode done = Json.MAPPER.readTree(completed.out());
        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(done.get("metadata").get("rows").asInt()).isEqualTo(1200);
        assertThat(notAnObject.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(notAnObject.err()).contains("metadata must be a JSON object");
    }

    @Test
    void claim_next_takes_the_best_match_and_exits_3_when_nothing_is_left() throws Exception {
        String tag = unique();
        String match = "--metadata";
        long low = idOf(taskstate("task", "create", tag + " low", "--priority", "low", match, "{\"run\": \"" + tag + "\"}"));
        long critical = idOf(taskstate("task", "create", tag + " critical", "--priority", "critical",
                match, "{\"run\": \"" + tag + "\", \"capabilities\": [\"gpu\"]}"));

        Run gpu = taskstate("task", "claim-next", "--assignee", "w1", "--metadata", "run=" + tag,
                "--metadata", "capabilities=gpu", "--json");
        Run next = taskstate("task", "claim-next", "--assignee", "w2", "--metadata", "run=" + tag, "--unassigned-only",
                "--lease", "PT5M");
        Run nothing = taskstate("task", "claim-next", "--assignee", "w3", "--metadata", "run=" + tag);
        Run nothingJson = taskstate("task", "claim-next", "--assignee", "w3", "--title-contains", tag, "--json");

        assertThat(gpu.exit()).isZero();
        assertThat(Json.MAPPER.readTree(gpu.out()).get("id").asLong()).isEqualTo(critical);
        assertThat(next.exit()).isZero();
        assertThat(next.out()).containsPattern("(?m)^id:\\s+" + low + "$").containsPattern("(?m)^assignee:\\s+w2$");
        assertThat(nothing.exit()).isEqualTo(ExitCodes.NOTHING_AVAILABLE);
        assertThat(nothing.out()).isEqualTo("nothing available\n");
        assertThat(nothing.err()).isEmpty();
        assertThat(nothingJson.exit()).isEqualTo(ExitCodes.NOTHING_AVAILABLE);
        assertThat(nothingJson.out().strip()).isEqualTo("null");
    }

    @Test
    void delete_removes_the_task_and_its_subtasks() throws Exception {
        String tag = unique();
        long parent = idOf(taskstate("task", "create", tag + " parent"));
        long child = idOf(taskstate("task", "create", tag + " child", "--parent", Long.toString(parent)));

        Run deleted = taskstate("task", "delete", Long.toString(parent), "--json");

        assertThat(deleted.exit()).isZero();
        JsonNode body = Json.MAPPER.readTree(deleted.out());
        assertThat(body.get("success").asBoolean()).isTrue();
        assertThat(body.get("deleted_task").get("id").asLong()).isEqualTo(parent);
        assertThat(body.get("deleted_ids")).extracting(JsonNode::asLong).containsExactlyInAnyOrder(parent, child);
        assertThat(taskstate("task", "get", Long.toString(child)).exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(taskstate("task", "delete", Long.toString(parent)).exit()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void instance_commands_register_report_and_list_a_worker() throws Exception {
        String worker = unique() + "-worker";
        long id = idOf(taskstate("task", "create", worker + " current"));

        // Given a worker that heartbeats and reports what it does
        Run beat = taskstate("instance", "heartbeat", worker);
        Run state = taskstate("instance", "state", worker, "--status", "busy", "--current-task", Long.toString(id),
                "--working-directory", "/workspace/" + worker, "--metadata", "{\"capabilities\": [\"gpu\"]}");

        // When it is read and listed
        Run got = taskstate("instance", "get", worker, "--json");
        Run active = taskstate("instance", "list");
        Run all = taskstate("instance", "list", "--all", "--json");
        Run cleared = taskstate("instance", "state", worker, "--no-current-task", "--status", "idle");
        Run invalid = taskstate("instance", "state", worker, "--status", "sleeping");
        Run missingTask = taskstate("instance", "state", worker, "--current-task", "424242");

        // Then it shows what it reported
        assertThat(beat.exit()).isZero();
        assertThat(beat.out()).containsPattern("(?m)^instance_id:\\s+" + worker + "$").containsPattern("(?m)^active:\\s+true$");
        assertThat(state.exit()).isZero();
        assertThat(state.out()).containsPattern("(?m)^current_task_id:\\s+" + id + "$").containsPattern("(?m)^status:\\s+busy$");
        JsonNode instance = Json.MAPPER.readTree(got.out());
        assertThat(instance.get("current_task_id").asLong()).isEqualTo(id);
        assertThat(instance.get("working_directory").asText()).isEqualTo("/workspace/" + worker);
        assertThat(instance.get("metadata").get("capabilities").get(0).asText()).isEqualTo("gpu");
        assertThat(instance.get("active").asBoolean()).isTrue();
        assertThat(active.out().lines().findFirst().orElseThrow())
                .matches("INSTANCE\\s+STATUS\\s+ACTIVE\\s+TASK\\s+LAST_HEARTBEAT\\s+WORKING_DIRECTORY");
        assertThat(active.out().lines().filter(l -> l.startsWith(worker + " ")).toList()).singleElement().satisfies(line ->
                assertThat(line.split("\\s+")).containsExactly(worker, "busy", "yes", Long.toString(id),
                        line.split("\\s+")[4], "/workspace/" + worker));
        assertThat(Json.MAPPER.readTree(all.out())).extracting(i -> i.get("instance_id").asText()).contains(worker);
        assertThat(cleared.exit()).isZero();
        assertThat(cleared.out()).doesNotContainPattern("(?m)^current_task_id:").containsPattern("(?m)^status:\\s+idle$");
        assertThat(invalid.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(invalid.err()).isEqualTo("taskstate: Invalid status. Must be one of: active, idle, busy\n");
        assertThat(missingTask.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(missingTask.err()).contains("Task 424242 does not exist");
    }

    @Test
    void an_unreachable_service_exits_7_with_one_line() {
        Run http = run("task", "get", "1", "--url", "http://127.0.0.1:1", "--kafka-bootstrap-servers",
                app.server().bootstrapServers(), "--topic-prefix", app.topicPrefix());
        Run kafka = run("task", "create", "x", "--url", app.baseUrl(), "--kafka-bootstrap-servers", "127.0.0.1:1",
                "--timeout", "PT1S");

        assertThat(http.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(http.err()).startsWith("taskstate: cannot reach taskstate at http://127.0.0.1:1");
        assertThat(http.err().lines()).hasSize(1);
        assertThat(kafka.exit()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(kafka.err()).startsWith("taskstate: cannot reach Kafka at 127.0.0.1:1");
        assertThat(kafka.err().lines()).hasSize(1);
    }

    @Test
    void help_exits_0_on_every_command() {
        List<List<String>> commands = List.of(List.of(), List.of("serve"), List.of("task"), List.of("instance"),
                List.of("task", "create"), List.of("task", "get"), List.of("task", "list"), List.of("task", "update"),
                List.of("task", "delete"), List.of("task", "claim"), List.of("task", "claim-next"),
                List.of("task", "complete"), List.of("task", "release"), List.of("instance", "heartbeat"),
                List.of("instance", "state"), List.of("instance", "get"), List.of("instance", "list"),
                List.of("task", "import"), List.of("task", "export"));

        for (List<String> command : commands) {
            List<String> args = new ArrayList<>(command);
            args.add("--help");

            Run help = run(args.toArray(String[]::new));

            assertThat(help.exit()).as(String.join(" ", args)).isZero();
            assertThat(help.out()).as(String.join(" ", args)).startsWith(("Usage: taskstate " + String.join(" ", command)).strip());
        }
        assertThat(run("task", "--help").out()).contains("claim-next").contains("Exit codes:");
        assertThat(run("task", "list", "--help").out()).contains("--url").contains("--json").contains("--all");
    }

    @Test
    void import_then_export_round_trips_tasks_and_reports_failed_lines() throws Exception {
        String tag = unique();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("cli-import");
        java.nio.file.Path in = dir.resolve("tasks.ndjson");
        // Given an NDJSON file with a parent, its subtask (naming the parent by the file's id), a bad line and a refused one
        java.nio.file.Files.writeString(in, String.join("\n",
                "{\"id\": 1, \"title\": \"" + tag + " parent\", \"priority\": \"high\", \"metadata\": {\"team\": \"backend\"}}",
                "{\"id\": 2, \"title\": \"" + tag + " child, \\\"quoted\\\"\", \"parent_task_id\": 1}",
                "not json",
                "{\"title\": \"" + tag + " bad\", \"status\": \"done\"}",
                "",
                "{\"title\": \"" + tag + " last\"}") + "\n");

        // When it is imported, then exported as NDJSON and CSV
        Run imported = taskstate("task", "import", in.toString(), "--batch", "2");
        Run ndjson = taskstate("task", "export", "--title-contains", tag, "--sort", "created_at", "--order", "asc");
        java.nio.file.Path csv = dir.resolve("tasks.csv");
        Run toFile = taskstate("task", "export", "--format", "csv", "--title-contains", tag, "--meta", "team=backend", "-o", csv.toString());

        // Then the good lines are tasks, the bad ones are named by line, and the exports hold them
        assertThat(imported.exit()).isEqualTo(ExitCodes.INVALID);
        assertThat(imported.out()).contains("imported 3, failed 2");
        assertThat(imported.err()).contains("line 3: not valid JSON").contains("line 4: Invalid status");
        assertThat(imported.err()).doesNotContain("\r"); // no progress bar when not on a terminal
        List<JsonNode> tasks = ndjson.out().lines().map(l -> {
            try {
                return Json.MAPPER.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(l, e);
            }
        }).toList();
        assertThat(ndjson.exit()).isZero();
        assertThat(tasks).extracting(t -> t.get("title").asText())
                .containsExactly(tag + " parent", tag + " child, \"quoted\"", tag + " last");
        assertThat(tasks.get(1).get("parent_task_id").asLong()).isEqualTo(tasks.get(0).get("id").asLong());
        assertThat(ndjson.err()).contains("exported 3 tasks");
        assertThat(toFile.exit()).isZero();
        List<String> rows = java.nio.file.Files.readAllLines(csv);
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).startsWith("id,title,description,status,priority");
        assertThat(rows.get(1)).startsWith(tasks.get(0).get("id").asText() + "," + tag + " parent,,pending,high,");
    }

    /** Runs a leaf command against the test app. */
    private static Run taskstate(String... args) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--url", app.baseUrl(), "--kafka-bootstrap-servers", app.server().bootstrapServers(),
                "--topic-prefix", app.topicPrefix(), "--timeout", "PT20S"));
        return run(all.toArray(String[]::new));
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static long idOf(Run created) {
        assertThat(created.exit()).as(created.err()).isZero();
        Matcher m = ID_LINE.matcher(created.out());
        assertThat(m.find()).as(created.out()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static String unique() {
        return "cli-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private record Run(int exit, String out, String err) {
    }
}
