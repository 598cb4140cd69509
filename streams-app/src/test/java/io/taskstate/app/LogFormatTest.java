package io.taskstate.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import io.taskstate.protocol.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** {@code TASKSTATE_LOG_FORMAT}: text by default, json writes one parseable JSON object a line. */
class LogFormatTest {
    @Test
    void unset_is_text_and_json_is_json_in_any_case() {
        assertThat(LogFormat.parse(null)).isEqualTo(LogFormat.TEXT);
        assertThat(LogFormat.parse(" JSON ")).isEqualTo(LogFormat.JSON);
        assertThat(LogFormat.parse("text")).isEqualTo(LogFormat.TEXT);
    }

    @Test
    void another_value_is_refused_naming_the_setting_and_the_choices() {
        assertThatThrownBy(() -> LogFormat.parse("xml"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_LOG_FORMAT must be text or json, got 'xml'");
    }

    @Test
    void a_json_line_holds_level_logger_and_the_formatted_message_even_with_quotes_and_newlines() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger logger = context.getLogger("io.taskstate.app.Example");
        LoggingEvent event = new LoggingEvent(null, logger, Level.WARN, "Task {} said \"{}\"", null,
                new Object[] {5, "line one\nline two"});

        String line = new String(LogFormat.jsonEncoder(context).encode(event), StandardCharsets.UTF_8);
        JsonNode json = Json.tree(line.getBytes(StandardCharsets.UTF_8));

        assertThat(line).endsWith("\n").doesNotContain("\n\n");
        assertThat(line.strip()).doesNotContain("\n");
        assertThat(json.path("level").asText()).isEqualTo("WARN");
        assertThat(json.path("loggerName").asText()).isEqualTo("io.taskstate.app.Example");
        assertThat(json.path("formattedMessage").asText()).isEqualTo("Task 5 said \"line one\nline two\"");
        assertThat(json.path("timestamp").isNumber()).isTrue();
        assertThat(json.has("context")).isFalse();
    }
}
