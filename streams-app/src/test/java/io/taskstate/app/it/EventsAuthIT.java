package io.taskstate.app.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskstate.app.TaskStateConfig;
import io.taskstate.app.testing.KafkaBroker;
import io.taskstate.app.testing.RunningApp;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** With tokens set, the events stream needs a read token: in the header, or (for EventSource) as ?access_token= on this route only. */
@ExtendWith(KafkaBroker.class)
class EventsAuthIT {
    private static final String READ = "read-" + UUID.randomUUID();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static RunningApp app;

    @BeforeAll
    static void start() {
        app = RunningApp.start(1, Map.of(TaskStateConfig.API_TOKENS, "read:" + READ + ",write:write-" + UUID.randomUUID()));
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void the_stream_needs_a_read_token() throws Exception {
        assertThat(status("/api/v1/events", null)).isEqualTo(401);
        assertThat(status("/api/v1/events?access_token=wrong", null)).isEqualTo(401);
    }

    @Test
    void a_read_token_opens_it_in_the_header_or_the_url() throws Exception {
        assertThat(status("/api/v1/events", READ)).isEqualTo(200);
        assertThat(status("/api/v1/events?access_token=" + READ, null)).isEqualTo(200);
    }

    @Test
    void other_routes_do_not_take_the_token_in_the_url() throws Exception {
        assertThat(status("/api/v1/tasks?access_token=" + READ, null)).isEqualTo(401);
    }

    /** The status of a GET; a stream that opened is closed at once. */
    private static int status(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(app.baseUrl() + path)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        response.body().close();
        return response.statusCode();
    }
}
