package io.taskstate.app.it;

import io.taskstate.app.testing.FreePorts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.app.TaskStateConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code taskstate mcp} on a fresh machine: nothing configured, no environment but a home
 * directory, nothing on the default address, so it starts the embedded default itself (data under
 * {@code ~/.taskstate/data}). The ports are moved off the defaults so that runs do not collide;
 * the default address, 127.0.0.1:8080, must be free, as on a fresh machine.
 */
class McpEmbeddedDefaultIT {
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(60);
    /** initialize waits for the embedded broker and Kafka Streams: seconds, more on a loaded machine. */
    private static final Duration STARTUP_DEADLINE = Duration.ofSeconds(120);

    @TempDir
    Path home;

    private int httpPort;
    private McpStdioClient mcp;

    @RegisterExtension
    final AfterTestExecutionCallback printLogOnFailure = context -> {
        if (context.getExecutionException().isPresent() && mcp != null) {
            mcp.printLog();
        }
    };

    @BeforeEach
    void launchWithNothingConfigured() {
        int[] ports = FreePorts.take(3);
        httpPort = ports[0];
        mcp = McpStdioClient.launch(home.resolve("mcp.log"), List.of("-Duser.home=" + home), List.of(), Map.of(
                "HOME", home.toString(),
                TaskStateConfig.HTTP_PORT, Integer.toString(ports[0]),
                TaskStateConfig.EMBEDDED_KAFKA_PORT, Integer.toString(ports[1]),
                TaskStateConfig.EMBEDDED_CONTROLLER_PORT, Integer.toString(ports[2]))).answerWithin(STARTUP_DEADLINE);
    }

    @AfterEach
    void stop() {
        mcp.close();
    }

    @Test
    void it_starts_the_embedded_default_and_serves_the_tools() {
        mcp.initialize();

        JsonNode created = mcp.ok("create_task", "{\"title\": \"Review code changes from yesterday\", \"priority\": \"high\"}");

        assertThat(mcp.ok("get_task", "{\"id\": %d}".formatted(created.get("id").asLong()))).isEqualTo(created);
        assertThat(new Http("http://127.0.0.1:" + httpPort).get("/health/ready").status())
                .as("the embedded default's HTTP API").isEqualTo(200);
        assertThat(home.resolve(".taskstate").resolve("data")).isDirectory();
    }

    @Test
    void the_first_read_right_after_initialize_succeeds() {
        mcp.initialize();

        McpClient.ToolResult tasks = mcp.call("query_tasks", "{}");

        assertThat(tasks.isError()).as(tasks.text()).isFalse();
        assertThat(tasks.json().isArray()).isTrue();
    }

    @Test
    void closing_stdin_stops_the_embedded_default_too() {
        mcp.initialize();

        mcp.closeStdin();

        assertThat(mcp.awaitExit(EXIT_DEADLINE)).as("exited within %s of stdin closing", EXIT_DEADLINE).isTrue();
        assertThat(mcp.process().exitValue()).isZero();
        assertThat(mcp.log()).contains("Embedded Kafka broker stopped");
    }
}
