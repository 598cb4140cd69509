package io.taskstate.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Kafka settings the CLI and {@code taskstate mcp} take from the environment. */
class ConnectionOptionsTest {

    @Test
    void sasl_and_tls_settings_in_the_environment_reach_the_client() {
        Map<String, String> kafka = ConnectionOptions.kafkaFromEnvironment(Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12",
                "KAFKA_SSL_TRUSTSTORE_PASSWORD", "changeit"));

        assertThat(kafka).containsOnlyKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config",
                "ssl.truststore.location", "ssl.truststore.password");
        assertThat(kafka.get("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
    }

    @Test
    void the_bootstrap_servers_the_client_id_and_tooling_variables_are_not_passed_through() {
        Map<String, String> kafka = ConnectionOptions.kafkaFromEnvironment(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092",
                "KAFKA_CLIENT_ID", "mine",
                "KAFKA_HOME", "/opt/kafka",
                "KAFKA_HEAP_OPTS", "-Xmx1g"));

        assertThat(kafka).isEmpty();
    }
}
