package io.taskstate.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The repository's docker-compose.yml, checked without a Docker engine: every setting it passes to
 * an app replica is one {@link TaskStateConfig} reads, the values parse, and the replicas are wired
 * for interactive queries (each advertises its own service name, all agree on the topics, each has
 * its own state volume, a health check and its own host port).
 */
class ComposeFileTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Every TASKSTATE_* name TaskStateConfig declares, and KAFKA_BOOTSTRAP_SERVERS. */
    static Set<String> knownSettings() {
        Set<String> names = new TreeSet<>(TaskStateConfig.DEFAULTS.keySet());
        names.add(TaskStateConfig.BOOTSTRAP);
        names.add(TaskStateConfig.ADVERTISED_HOST);
        names.add(TaskStateConfig.STANDBY_REPLICAS);
        for (Field f : TaskStateConfig.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isPublic(m) && Modifier.isFinal(m) && f.getType() == String.class) {
                try {
                    String value = (String) f.get(null);
                    if (value.startsWith("TASKSTATE_")) {
                        names.add(value);
                    }
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }

    static Path composeFile() {
        Path fromModule = Path.of("..", "docker-compose.yml");     // Maven runs tests in streams-app/
        return Files.exists(fromModule) ? fromModule : Path.of("docker-compose.yml");
    }

    static JsonNode readCompose() throws IOException {
        Path file = composeFile();
        assertThat(file).as("docker-compose.yml at the repository root").exists();
        return YAML.readTree(file.toFile());
    }

    @Test
    void the_compose_file_passes_only_settings_the_app_reads_and_wires_the_replicas() throws IOException {
        JsonNode compose = readCompose();

        assertThat(appServices(compose)).as("app services (those built from ./Dockerfile)").hasSizeGreaterThanOrEqualTo(2);
        assertThat(problems(compose)).isEmpty();
    }

    @Test
    void a_misspelled_or_unknown_setting_is_reported() throws IOException {
        ObjectNode compose = (ObjectNode) readCompose();
        String app = appServices(compose).get(0);
        ObjectNode env = (ObjectNode) compose.path("services").path(app).path("environment");
        env.put("TASKSTATE_HTTP_PROT", "8080");
        env.put("KAFKA_BOOTSTRAP_SERVER", "kafka:29092");
        env.put("TASKSTATE_PARTITIONS", "six");

        assertThat(problems(compose))
                .anySatisfy(p -> assertThat(p).contains(app, "TASKSTATE_HTTP_PROT", "not a setting"))
                .anySatisfy(p -> assertThat(p).contains(app, "KAFKA_BOOTSTRAP_SERVER", "not a Kafka client setting"))
                .anySatisfy(p -> assertThat(p).contains(app, TaskStateConfig.PARTITIONS, "six"));
    }

    @Test
    void a_copied_block_that_still_advertises_the_original_replica_is_reported() throws IOException {
        ObjectNode compose = (ObjectNode) readCompose();
        List<String> apps = appServices(compose);
        ObjectNode copy = ((ObjectNode) compose.path("services").path(apps.get(0))).deepCopy();
        ((ObjectNode) compose.path("services")).set("app-9", copy);

        assertThat(problems(compose))
                .anySatisfy(p -> assertThat(p).contains("app-9", TaskStateConfig.ADVERTISED_HOST))
                .anySatisfy(p -> assertThat(p).contains("host port"))
                .anySatisfy(p -> assertThat(p).contains("app-9", "volume"));
    }

    /** Services built from the repository's Dockerfile: the taskstate replicas. */
    static List<String> appServices(JsonNode compose) {
        List<String> apps = new ArrayList<>();
        compose.path("services").properties().forEach(e -> {
            if (e.getValue().has("build")) {
                apps.add(e.getKey());
            }
        });
        return apps;
    }

    /** Everything wrong with the compose file, one line each, naming the service. */
    static List<String> problems(JsonNode compose) {
        List<String> problems = new ArrayList<>();
        JsonNode services = compose.path("services");
        Set<String> known = knownSettings();

        // the broker
        JsonNode kafka = services.path("kafka");
        Map<String, String> kafkaEnv = environment(kafka);
        if (kafka.isMissingNode()) {
            problems.add("no kafka service");
        }
        if (!"false".equals(kafkaEnv.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE"))) {
            problems.add("kafka: KAFKA_AUTO_CREATE_TOPICS_ENABLE must be false, is " + kafkaEnv.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE"));
        }
        if (!kafka.has("healthcheck")) {
            problems.add("kafka: no healthcheck (the apps wait for it to be healthy)");
        }
        Set<String> advertisedListeners = new TreeSet<>();
        for (String listener : kafkaEnv.getOrDefault("KAFKA_ADVERTISED_LISTENERS", "").split(",")) {
            int at = listener.indexOf("://");
            if (at > 0) {
                advertisedListeners.add(listener.substring(at + 3).trim());
            }
        }

        // the replicas
        Map<String, String> hostPorts = new HashMap<>();
        Map<String, String> volumes = new HashMap<>();
        Map<String, String> advertised = new HashMap<>();
        TaskStateConfig first = null;
        String firstName = null;
        List<String> apps = appServices(compose);
        if (apps.isEmpty()) {
            problems.add("no app service (a service with build: .)");
        }
        for (String name : apps) {
            JsonNode service = services.path(name);
            Map<String, String> env = environment(service);
            for (String key : env.keySet()) {
                if (key.equals(TaskStateConfig.BOOTSTRAP) || known.contains(key)) {
                    continue;
                }
                if (key.startsWith("KAFKA_")) {
                    String setting = key.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
                    if (!TaskStateConfig.isClientSetting(setting)) {
                        problems.add(name + ": " + key + " is not a Kafka client setting (" + setting + ")");
                    }
                } else if (key.startsWith("TASKSTATE_")) {
                    problems.add(name + ": " + key + " is not a setting the app reads; known: " + known);
                } else {
                    problems.add(name + ": " + key + " is neither a TASKSTATE_* nor a KAFKA_* setting");
                }
            }

            TaskStateConfig config;
            try {
                config = TaskStateConfig.from(env);
            } catch (IllegalArgumentException e) {
                problems.add(name + ": " + e.getMessage());
                continue;
            }
            if (config.embedded()) {
                problems.add(name + ": " + TaskStateConfig.BOOTSTRAP + " is not set, so the app would start its own broker");
            } else {
                for (String server : config.bootstrapServers().orElseThrow().split(",")) {
                    if (!advertisedListeners.contains(server.trim())) {
                        problems.add(name + ": " + TaskStateConfig.BOOTSTRAP + " " + server
                                + " is not one of kafka's advertised listeners " + advertisedListeners);
                    }
                }
            }
            if (!env.containsKey(TaskStateConfig.ADVERTISED_HOST) || !name.equals(config.advertisedHost())) {
                problems.add(name + ": " + TaskStateConfig.ADVERTISED_HOST + " must be the service name '" + name
                        + "' (how the other replicas reach it), is " + env.get(TaskStateConfig.ADVERTISED_HOST));
            }
            String other = advertised.put(config.advertisedHost(), name);
            if (other != null) {
                problems.add(name + ": advertises the same host as " + other + ": " + config.advertisedHost());
            }
            if (!"0.0.0.0".equals(config.httpHost())) {
                problems.add(name + ": " + TaskStateConfig.HTTP_HOST + " must be 0.0.0.0 in a container, is " + config.httpHost());
            }
            if (!service.has("healthcheck") || !service.path("healthcheck").path("test").toString().contains("/health/ready")) {
                problems.add(name + ": no healthcheck on /health/ready");
            } else if (!service.path("healthcheck").path("test").toString().contains("/" + config.httpPort())) {
                problems.add(name + ": the healthcheck does not ask port " + config.httpPort());
            }
            if (!"service_healthy".equals(service.path("depends_on").path("kafka").path("condition").asText())) {
                problems.add(name + ": must depend on kafka with condition service_healthy");
            }
            if (config.replicationFactor() > 1) {
                problems.add(name + ": " + TaskStateConfig.REPLICATION_FACTOR + " " + config.replicationFactor()
                        + " but compose runs one broker");
            }

            // ports: published host ports unique, the container side is the app's HTTP port
            boolean servesHttp = false;
            for (String[] port : ports(service)) {
                String owner = hostPorts.put(port[0], name);
                if (owner != null) {
                    problems.add(name + ": host port " + port[0] + " is also published by " + owner);
                }
                servesHttp |= port[1].equals(Integer.toString(config.httpPort()));
            }
            if (!servesHttp) {
                problems.add(name + ": no published port maps to " + TaskStateConfig.HTTP_PORT + " " + config.httpPort());
            }

            // state: its own named volume at the data directory
            String dataDir = config.dataDir().toString();
            String volume = null;
            for (JsonNode v : service.path("volumes")) {
                String[] parts = v.asText().split(":");
                if (parts.length >= 2 && parts[1].equals(dataDir)) {
                    volume = parts[0];
                }
            }
            if (volume == null) {
                problems.add(name + ": no volume mounted at " + TaskStateConfig.DATA_DIR + " " + dataDir);
            } else {
                String owner = volumes.put(volume, name);
                if (owner != null) {
                    problems.add(name + ": volume " + volume + " is also used by " + owner + " (each replica needs its own state)");
                }
                if (!compose.path("volumes").has(volume)) {
                    problems.add(name + ": volume " + volume + " is not declared under volumes:");
                }
            }

            // one application: the same group, topics and partition count everywhere
            if (first == null) {
                first = config;
                firstName = name;
            } else if (!first.applicationId().equals(config.applicationId()) || !first.topicPrefix().equals(config.topicPrefix())
                    || first.partitions() != config.partitions() || first.replicationFactor() != config.replicationFactor()) {
                problems.add(name + ": application id, topic prefix, partitions or replication factor differ from " + firstName);
            }
        }

        // host ports of the other services (the broker) must not collide with the replicas'
        services.properties().forEach(e -> {
            if (!apps.contains(e.getKey())) {
                for (String[] port : ports(e.getValue())) {
                    String owner = hostPorts.put(port[0], e.getKey());
                    if (owner != null) {
                        problems.add(e.getKey() + ": host port " + port[0] + " is also published by " + owner);
                    }
                }
            }
        });
        return problems;
    }

    /** A service's environment, in either compose form (map, or list of NAME=value). */
    static Map<String, String> environment(JsonNode service) {
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode e = service.path("environment");
        if (e.isObject()) {
            e.properties().forEach(f -> env.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText()));
        } else if (e.isArray()) {
            for (JsonNode item : e) {
                String s = item.asText();
                int eq = s.indexOf('=');
                env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? null : s.substring(eq + 1));
            }
        }
        return env;
    }

    /** Published ports as {host port, container port}, short ("[ip:]host:container[/proto]") or long syntax. */
    static List<String[]> ports(JsonNode service) {
        List<String[]> ports = new ArrayList<>();
        for (JsonNode p : service.path("ports")) {
            if (p.isObject()) {
                if (p.has("published")) {
                    ports.add(new String[] {p.path("published").asText(), p.path("target").asText()});
                }
            } else {
                String[] parts = p.asText().replaceAll("/.*$", "").split(":");
                if (parts.length >= 2) {
                    ports.add(new String[] {parts[parts.length - 2], parts[parts.length - 1]});
                }
            }
        }
        return ports;
    }
}
