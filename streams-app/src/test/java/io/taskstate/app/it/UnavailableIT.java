package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.http.ApiServer;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import io.taskstate.client.TaskStateClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What callers see when the processor cannot answer: 503 with Retry-After while stores are not
 * queryable, 504 naming the command id when no reply comes in time.
 */
@ExtendWith(KafkaBroker.class)
class UnavailableIT {

    @Test
    void reads_answer_503_with_retry_after_and_writes_504_with_the_command_id_when_no_processor_runs() {
        // Given topics that exist, but an HTTP API whose stream processor never started
        try (RunningApp topicsOnly = RunningApp.start(1)) {
            String prefix = topicsOnly.topicPrefix();
            topicsOnly.server().close();
            try (TaskStateClient writer = TaskStateClient.builder().bootstrapServers(KafkaBroker.bootstrapServers())
                    .topicPrefix(prefix).timeout(Duration.ofSeconds(2)).build();
                 ApiServer api = new ApiServer("127.0.0.1", 0, writer, Duration.ofSeconds(2))) {
                Http http = new Http("http://127.0.0.1:" + api.start());

                // When
                Http.Response read = http.get("/api/v1/tasks/1");
                Http.Response ready = http.get("/health/ready");
                Http.Response write = http.post("/api/v1/tasks", "{\"title\":\"nobody will answer\"}");

                // Then
                assertThat(read.status()).isEqualTo(503);
                assertThat(read.header("Retry-After")).isEqualTo("1");
                assertThat(ready.status()).isEqualTo(503);
                assertThat(write.status()).isEqualTo(504);
                assertThat(write.body().get("command_id").asText()).isNotBlank();
                assertThat(write.body().get("detail").asText()).contains(write.body().get("command_id").asText());
            }
        }
    }
}
