package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.Main;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The usage examples of the reference Task State Server ({@code shared/seeds/EXAMPLES.md}, read
 * at test time), run as written against {@code taskstate mcp} on a fresh app: a Python harness
 * ({@code seeds/seed_harness.py}) turns the nine tools into the functions the examples call, runs
 * every Python block in file order in one namespace, and calls the functions the integration
 * blocks only define. Each test checks what one pattern printed or did.
 */
@ExtendWith(KafkaBroker.class)
class SeedExamplesIT {
    private static final Duration HARNESS_DEADLINE = Duration.ofMinutes(3);
    private static final Pattern HEADING = Pattern.compile("^#{2,3} (.+)$");

    @TempDir
    static Path dir;

    private static RunningApp app;
    private static Path examples;
    private static Path output;
    private static Path serverLog;
    private static int exitCode;
    private static String printed;

    @RegisterExtension
    final AfterTestExecutionCallback printOutputOnFailure = context -> {
        if (context.getExecutionException().isPresent()) {
            System.out.println("----- seed_harness.py -----");
            System.out.println(printed);
            System.out.println("----- taskstate mcp -----");
            System.out.println(read(serverLog));
        }
    };

    @BeforeAll
    static void runTheExamples() throws InterruptedException {
        // Given a fresh app and the examples as the reference documents them
        app = RunningApp.start(3);
        examples = locateExamples();
        output = dir.resolve("harness.out");
        serverLog = dir.resolve("mcp.log");

        // When the harness runs every block through taskstate mcp
        List<String> command = new ArrayList<>(List.of("python3", harness().toString(), examples.toString(), serverLog.toString(), "--"));
        command.addAll(mcpCommand());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(output.toFile()));
        builder.environment().keySet().removeIf(name -> name.startsWith("TASKSTATE_") || name.startsWith("KAFKA_"));
        builder.environment().put("PYTHONUNBUFFERED", "1");
        Process harness;
        try {
            harness = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + command + " (is python3 on the PATH?)", e);
        }
        if (!harness.waitFor(HARNESS_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            harness.descendants().forEach(ProcessHandle::destroyForcibly);
            harness.destroyForcibly().waitFor();
        }
        exitCode = harness.exitValue();
        printed = read(output);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void every_python_block_runs_as_written() {
        assertThat(printed).contains("ALL BLOCKS OK").doesNotContain("BLOCK FAILED");
        assertThat(exitCode).as("exit code of seed_harness.py").isZero();
        for (String heading : headingsOfPythonBlocks()) {
            assertThat(printed).as("block %s", heading).contains("BLOCK OK: " + heading);
        }
    }

    @Test
    void the_daily_todo_list_completes_task_1_the_first_task_of_the_day() {
        assertThat(printed).contains("Task 1: Review code changes from yesterday (completed)");
    }

    @Test
    void the_project_task_list_shows_the_project_and_its_five_subtasks() {
        assertThat(printed).contains("Project: Build User Authentication System");
        assertThat(printed).containsPattern("Subtasks: \\[\\d+, \\d+, \\d+, \\d+, \\d+\\]");
    }

    @Test
    void work_distribution_sees_both_workers_and_the_claimed_task() {
        assertThat(printed).contains("Active workers: 2", "Tasks in progress: 1");
    }

    @Test
    void sprint_planning_reports_progress_over_its_three_stories() {
        assertThat(printed).contains("Sprint Progress: 0/3 completed");
    }

    @Test
    void the_code_review_queue_reviews_an_opened_pull_request() {
        assertThat(printed).containsPattern("Reviewed: #\\d+ - Review PR #101: Add response caching");
    }

    @Test
    void the_heartbeat_loop_keeps_running_in_the_background() {
        assertThat(printed).contains("Heartbeat thread alive: True");
    }

    @Test
    void the_instance_dashboard_shows_the_busy_worker_and_its_task() {
        assertThat(printed).contains("ACTIVE INSTANCES", "Instance: worker-1", "Status: busy", "Working Dir: /workspace/worker-1");
        assertThat(printed).containsPattern("Current Task: #\\d+ - Process dataset [AB]");
    }

    @Test
    void analytics_count_the_tasks_by_status_priority_and_assignee() {
        assertThat(printed).contains("Tasks by Status:", "Tasks by Priority:", "Tasks by Assignee:", "Oldest Pending Task: #");
        assertThat(printed).containsPattern("Created: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\n");
    }

    @Test
    void metadata_driven_workflows_sum_the_estimates() {
        assertThat(printed).contains("Estimated hours remaining: 4");
    }

    @Test
    void the_github_sync_maps_a_p1_label_to_high_priority() {
        assertThat(printed).containsPattern("Synced: #\\d+ - GH-4242: Login fails with expired refresh token \\(high\\)");
    }

    @Test
    void the_notification_system_escalates_an_overdue_task() {
        assertThat(printed).containsPattern("Overdue tasks: \\d+; #\\d+ escalated to high");
    }

    @Test
    void finding_stuck_tasks_parses_the_naive_timestamps() {
        assertThat(printed).contains("Found 0 potentially stuck tasks");
    }

    @Test
    void the_mcp_server_exits_cleanly_when_the_harness_closes_its_stdin() {
        assertThat(printed).contains("MCP server exited with 0");
    }

    // ---- the pieces

    /** {@code shared/seeds/EXAMPLES.md} beside the repository (or in it), or where {@code -Dtaskstate.examples} says. */
    private static Path locateExamples() {
        String given = System.getProperty("taskstate.examples");
        if (given != null) {
            return Path.of(given);
        }
        List<Path> tried = new ArrayList<>();
        for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
            Path candidate = at.resolve("shared").resolve("seeds").resolve("EXAMPLES.md");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            tried.add(candidate);
        }
        // No shared/ beside this clone: the copy kept in the test resources (the same text, checked in
        // so the patterns are tested wherever the repository is built).
        URL bundled = Objects.requireNonNull(SeedExamplesIT.class.getResource("/seeds/EXAMPLES.md"),
                "No shared/seeds/EXAMPLES.md beside the repository (tried " + tried + ") and none in the test resources");
        try {
            return Path.of(bundled.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path harness() {
        URL url = Objects.requireNonNull(SeedExamplesIT.class.getResource("/seeds/seed_harness.py"), "seeds/seed_harness.py");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(url.toString(), e);
        }
    }

    /** {@code taskstate mcp} on this app, in its own JVM with the shipped logging. */
    private static List<String> mcpCommand() {
        URL logback = Objects.requireNonNull(Main.class.getResource("/logback.xml"), "logback.xml of streams-app");
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                "-Dlogback.configurationFile=" + logback,
                Main.class.getName(), "mcp",
                "--url", app.baseUrl(),
                "--kafka-bootstrap-servers", app.server().bootstrapServers(),
                "--topic-prefix", app.topicPrefix());
    }

    /** The heading over each ```python block, as the harness names the blocks. */
    private static List<String> headingsOfPythonBlocks() {
        List<String> headings = new ArrayList<>();
        Optional<String> heading = Optional.empty();
        boolean inCode = false;
        for (String line : read(examples).split("\n")) {
            if (inCode) {
                inCode = !line.strip().equals("```");
            } else if (line.strip().equals("```python")) {
                inCode = true;
                headings.add(heading.orElseThrow(() -> new AssertionError("A Python block before any heading")));
            } else {
                Matcher m = HEADING.matcher(line);
                if (m.matches()) {
                    heading = Optional.of(m.group(1).strip());
                }
            }
        }
        assertThat(headings).as("Python blocks in %s", examples).isNotEmpty();
        return headings;
    }

    private static String read(Path file) {
        try {
            return file != null && Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
