package io.taskstate.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskstate.app.http.ApiTokens;
import io.taskstate.app.http.ApiTokens.Role;
import io.taskstate.protocol.Topic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing the settings: defaults, overrides, Kafka client passthrough, masking and the errors a user sees. */
class TaskStateConfigTest {

    @Test
    void nothing_set_means_the_documented_defaults_and_the_embedded_broker() {
        TaskStateConfig config = TaskStateConfig.from(Map.of());

        assertThat(config.embedded()).isTrue();
        assertThat(config.bootstrapServers()).isEmpty();
        assertThat(config.httpHost()).isEqualTo("127.0.0.1");
        assertThat(config.httpPort()).isEqualTo(8080);
        assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(config.partitions()).isEqualTo(6);
        assertThat(config.replicationFactor()).isEqualTo((short) -1);
        assertThat(config.instanceTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.commandTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.dedupRetention()).isEqualTo(Duration.ofDays(7));
        assertThat(config.eventsRetention()).isEqualTo(Duration.ofHours(24));
        assertThat(config.rocksdbMemory()).isEqualTo(128L * 1024 * 1024);
        assertThat(config.topicPrefix()).isEqualTo(Topic.DEFAULT_PREFIX);
        assertThat(config.applicationId()).isEqualTo("taskstate");
        assertThat(config.embeddedKafkaPort()).isEqualTo(9092);
        assertThat(config.embeddedControllerPort()).isEqualTo(9093);
        assertThat(config.maxBodyBytes()).isEqualTo(1024 * 1024);
        assertThat(config.historyLimit()).isEqualTo(100);
        assertThat(config.kafka()).isEmpty();
    }

    @Test
    void every_setting_can_be_overridden_by_its_variable_name() {
        TaskStateConfig config = TaskStateConfig.from(Map.ofEntries(
                Map.entry(TaskStateConfig.BOOTSTRAP, "kafka-1:9092,kafka-2:9092"),
                Map.entry(TaskStateConfig.HTTP_HOST, "0.0.0.0"),
                Map.entry(TaskStateConfig.HTTP_PORT, "9000"),
                Map.entry(TaskStateConfig.DATA_DIR, "/var/lib/taskstate"),
                Map.entry(TaskStateConfig.PARTITIONS, "12"),
                Map.entry(TaskStateConfig.REPLICATION_FACTOR, "3"),
                Map.entry(TaskStateConfig.INSTANCE_TIMEOUT, "PT30S"),
                Map.entry(TaskStateConfig.COMMAND_TIMEOUT, "PT2S"),
                Map.entry(TaskStateConfig.DEDUP_RETENTION, "P1D"),
                Map.entry(TaskStateConfig.EVENTS_RETENTION, "PT2H"),
                Map.entry(TaskStateConfig.TOPIC_PREFIX, "team-a."),
                Map.entry(TaskStateConfig.APPLICATION_ID, "taskstate-team-a"),
                Map.entry(TaskStateConfig.EMBEDDED_KAFKA_PORT, "19092"),
                Map.entry(TaskStateConfig.EMBEDDED_CONTROLLER_PORT, "19093"),
                Map.entry(TaskStateConfig.MAX_BODY_BYTES, "65536")));

        assertThat(config.embedded()).isFalse();
        assertThat(config.bootstrapServers()).contains("kafka-1:9092,kafka-2:9092");
        assertThat(config.httpHost()).isEqualTo("0.0.0.0");
        assertThat(config.httpPort()).isEqualTo(9000);
        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/taskstate"));
        assertThat(config.partitions()).isEqualTo(12);
        assertThat(config.replicationFactor()).isEqualTo((short) 3);
        assertThat(config.instanceTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.commandTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.dedupRetention()).isEqualTo(Duration.ofDays(1));
        assertThat(config.eventsRetention()).isEqualTo(Duration.ofHours(2));
        assertThat(config.topicPrefix()).isEqualTo("team-a.");
        assertThat(config.topic(Topic.TASKS)).isEqualTo("team-a.tasks");
        assertThat(config.applicationId()).isEqualTo("taskstate-team-a");
        assertThat(config.embeddedKafkaPort()).isEqualTo(19092);
        assertThat(config.embeddedControllerPort()).isEqualTo(19093);
        assertThat(config.maxBodyBytes()).isEqualTo(65536);
    }

    @Test
    void blank_values_take_the_default_and_values_are_trimmed() {
        TaskStateConfig config = TaskStateConfig.from(Map.of(
                TaskStateConfig.BOOTSTRAP, "  ",
                TaskStateConfig.HTTP_PORT, "",
                TaskStateConfig.PARTITIONS, " 3 "));

        assertThat(config.embedded()).isTrue();
        assertThat(config.httpPort()).isEqualTo(8080);
        assertThat(config.partitions()).isEqualTo(3);
    }

    @Test
    void kafka_variables_pass_through_as_client_settings_except_the_bootstrap_servers() {
        TaskStateConfig config = TaskStateConfig.from(Map.of(
                TaskStateConfig.BOOTSTRAP, "broker:9093",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                        + "username=\"agent\" password=\"hunter2\";",
                "TASKSTATE_UNKNOWN_THING", "ignored",
                "PATH", "/usr/bin"));

        assertThat(config.kafka()).containsOnlyKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config");
        assertThat(config.kafka().get("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(config.kafka().get("sasl.mechanism")).isEqualTo("PLAIN");
        assertThat(config.kafka().get("sasl.jaas.config")).isEqualTo(
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"agent\" password=\"hunter2\";");
        assertThat(config.bootstrapServers()).contains("broker:9093");
    }

    @Test
    void kafka_tooling_variables_that_are_not_client_settings_are_not_passed_through() {
        TaskStateConfig config = TaskStateConfig.from(Map.of(
                "KAFKA_HOME", "/opt/kafka",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "KAFKA_PRODUCER_COMPRESSION_TYPE", "zstd",
                "KAFKA_MAX_POLL_RECORDS", "100"));

        assertThat(config.kafka()).containsOnlyKeys("producer.compression.type", "max.poll.records");
    }

    @Test
    void to_string_names_the_client_settings_but_never_shows_their_values() {
        TaskStateConfig config = TaskStateConfig.from(Map.of(
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"agent\" password=\"s3cr3t-pa55\";",
                "KAFKA_SSL_TRUSTSTORE_PASSWORD", "trust-me-not"));

        String shown = config.toString();

        assertThat(shown).contains("sasl.jaas.config", "ssl.truststore.password", "masked")
                .doesNotContain("s3cr3t-pa55", "trust-me-not", "ScramLoginModule");
    }

    @Test
    void partitions_that_are_not_a_number_name_the_variable_and_the_expected_form() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.PARTITIONS, "abc")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_PARTITIONS must be an integer, got 'abc'");
    }

    @Test
    void zero_partitions_name_the_variable_and_the_allowed_range() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.PARTITIONS, "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_PARTITIONS must be between 1 and 10000, got 0");
    }

    @Test
    void a_port_out_of_range_names_the_variable_and_what_a_port_is() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.HTTP_PORT, "70000")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_HTTP_PORT must be a port number")
                .hasMessageContaining("got 70000");
    }

    @Test
    void a_duration_in_words_names_the_variable_and_the_iso_8601_form() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.INSTANCE_TIMEOUT, "5 minutes")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_INSTANCE_TIMEOUT must be an ISO-8601 duration such as PT5M, got '5 minutes'");
    }

    @Test
    void a_history_limit_out_of_range_names_the_variable_and_the_allowed_range() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.HISTORY_LIMIT, "-1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_HISTORY_LIMIT must be from 0 (keep no history) to 10000 entries per task, got -1");
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.HISTORY_LIMIT, "lots")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_HISTORY_LIMIT must be an integer number of entries per task, got 'lots'");
    }

    @Test
    void a_duration_that_is_not_positive_is_refused() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.COMMAND_TIMEOUT, "PT0S")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_COMMAND_TIMEOUT must be a positive duration, got PT0S");
    }

    @Test
    void the_rocksdb_memory_is_bytes_or_a_size_in_kib_mib_or_gib() {
        assertThat(rocksdbMemory("67108864")).isEqualTo(64L << 20);
        assertThat(rocksdbMemory("65536k")).isEqualTo(64L << 20);
        assertThat(rocksdbMemory("256m")).isEqualTo(256L << 20);
        assertThat(rocksdbMemory("2G")).isEqualTo(2L << 30);
    }

    @Test
    void a_rocksdb_memory_that_is_no_size_names_the_forms_it_takes() {
        assertThatThrownBy(() -> rocksdbMemory("128MB"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_ROCKSDB_MEMORY must be a size in bytes, or with k, m or g (KiB, MiB, GiB) such as 128m, got '128MB'");
        assertThatThrownBy(() -> rocksdbMemory("-1g"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_ROCKSDB_MEMORY must be a size in bytes");
    }

    @Test
    void a_rocksdb_memory_below_16_mib_is_refused() {
        assertThatThrownBy(() -> rocksdbMemory("8m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_ROCKSDB_MEMORY must be at least 16m (16 MiB), got 8388608 bytes");
    }

    private static long rocksdbMemory(String value) {
        return TaskStateConfig.from(Map.of(TaskStateConfig.ROCKSDB_MEMORY, value)).rocksdbMemory();
    }

    @Test
    void no_tokens_configured_means_the_api_is_open() {
        assertThat(TaskStateConfig.from(Map.of()).apiTokens().enabled()).isFalse();
    }

    @Test
    void api_tokens_are_role_token_pairs_and_each_role_includes_the_weaker_ones() {
        ApiTokens tokens = TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS,
                "read:r-token-1, write:w-token-2,ADMIN:a-token-3")).apiTokens();

        assertThat(tokens.enabled()).isTrue();
        assertThat(tokens.roleOf("r-token-1")).contains(Role.READ);
        assertThat(tokens.roleOf("w-token-2")).contains(Role.WRITE);
        assertThat(tokens.roleOf("a-token-3")).contains(Role.ADMIN);
        assertThat(tokens.roleOf("a-token-")).isEmpty();
        assertThat(tokens.roleOf("")).isEmpty();
        assertThat(Role.WRITE.covers(Role.READ)).isTrue();
        assertThat(Role.ADMIN.covers(Role.WRITE)).isTrue();
        assertThat(Role.READ.covers(Role.WRITE)).isFalse();
        assertThat(Role.WRITE.covers(Role.ADMIN)).isFalse();
    }

    @Test
    void instances_call_each_other_with_the_first_token_of_the_strongest_role() {
        ApiTokens tokens = TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS,
                "read:r1,write:w1,write:w2")).apiTokens();

        assertThat(tokens.instanceToken()).contains("w1");
    }

    @Test
    void a_tokens_file_holds_one_pair_a_line_with_comments_and_adds_to_the_list(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# the dashboard\nread:dash-board-token\n\n  admin:ops-token  \n");

        ApiTokens tokens = TaskStateConfig.from(Map.of(
                TaskStateConfig.API_TOKENS, "write:agent-token",
                TaskStateConfig.API_TOKENS_FILE, file.toString())).apiTokens();

        assertThat(tokens.counts()).containsExactly(Map.entry(Role.READ, 1L), Map.entry(Role.WRITE, 1L), Map.entry(Role.ADMIN, 1L));
        assertThat(tokens.roleOf("ops-token")).contains(Role.ADMIN);
        assertThat(tokens.instanceToken()).contains("ops-token");
    }

    @Test
    void an_entry_without_a_role_is_refused_without_showing_it() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS, "read:ok-token,s3cr3t-no-role")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS entry 2 must be ROLE:TOKEN with ROLE read, write or admin")
                .message().doesNotContain("s3cr3t-no-role");
    }

    @Test
    void an_unknown_role_names_the_entry_and_the_roles() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS, "reader:s3cr3t")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS entry 1 has the role 'reader'; it must be ROLE:TOKEN with ROLE read, write or admin")
                .message().doesNotContain("s3cr3t");
    }

    @Test
    void a_token_a_header_cannot_carry_or_an_empty_one_is_refused() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS, "write:has space")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS entry 1 has a token with characters a bearer token cannot carry")
                .message().doesNotContain("has space");
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS, "write:")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS entry 1 has no token after 'write:'");
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS, "read:a,,write:b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS entry 2 must be ROLE:TOKEN");
    }

    @Test
    void the_same_token_under_two_roles_is_refused() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS, "read:same-token,admin:same-token")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_API_TOKENS entry 2 repeats a token given before: give each token one role");
    }

    @Test
    void a_tokens_file_that_is_missing_or_empty_is_refused_with_its_line_numbers(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS_FILE, missing.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS_FILE " + missing + " cannot be read (NoSuchFileException)");
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing yet\n");
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS_FILE, empty.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS_FILE " + empty + " holds no token");
        Path bad = Files.writeString(dir.resolve("bad"), "read:fine\nroot:nope\n");
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS_FILE, bad.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("TASKSTATE_API_TOKENS_FILE " + bad + " line 2 has the role 'root'");
    }

    @Test
    void to_string_counts_the_tokens_per_role_but_never_shows_them() {
        TaskStateConfig config = TaskStateConfig.from(Map.of(TaskStateConfig.API_TOKENS,
                "read:visible-read-token,admin:visible-admin-token"));

        assertThat(config.toString()).contains("apiTokens=2 (read 1, admin 1; values masked)")
                .doesNotContain("visible-read-token", "visible-admin-token");
        assertThat(TaskStateConfig.from(Map.of()).toString()).contains("apiTokens=off");
    }

    @Test
    void metrics_are_open_by_default_and_can_need_a_read_token_in_any_case() {
        assertThat(TaskStateConfig.from(Map.of()).metricsAuth()).isEqualTo(TaskStateConfig.MetricsAuth.OPEN);
        assertThat(TaskStateConfig.from(Map.of(TaskStateConfig.METRICS_AUTH, "Read")).metricsAuth())
                .isEqualTo(TaskStateConfig.MetricsAuth.READ);
    }

    @Test
    void an_unknown_metrics_auth_names_the_variable_and_the_choices() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.METRICS_AUTH, "token")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_METRICS_AUTH must be open or read, got 'token'");
    }

    @Test
    void a_body_limit_outside_the_range_names_the_variable_and_the_range() {
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.MAX_BODY_BYTES, "100")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_MAX_BODY_BYTES must be from 1024 to 67108864 bytes, got 100");
        assertThatThrownBy(() -> TaskStateConfig.from(Map.of(TaskStateConfig.MAX_BODY_BYTES, "1MB")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TASKSTATE_MAX_BODY_BYTES must be a number of bytes, got '1MB'");
    }
}
