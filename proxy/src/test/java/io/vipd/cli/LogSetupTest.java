package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class LogSetupTest {
    private static final Logger vipd = LoggerFactory.getLogger("io.vipd.test.LogSetupTest");
    private static final Logger client = LoggerFactory.getLogger("io.fabric8.kubernetes.test");
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @AfterEach
    void backToLogbackXml() {
        LogSetup.reset();
    }

    private List<String> lines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void everyTextLineStartsWithAnRfc3339TimestampWithMilliseconds() {
        LogSetup.apply(LogSetup.Format.TEXT, 0, out);
        vipd.atInfo().addKeyValue("service", "default/web").log("synced");
        String line = lines().get(0);
        String ts = line.substring(0, line.indexOf(' '));
        assertThat(ts).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(OffsetDateTime.parse(ts)).isNotNull();
        assertThat(line).endsWith("INFO  LogSetupTest synced service=\"default/web\"");
    }

    @Test
    void logbackXmlWritesTheSameTimestamps() throws Exception {
        // The default configuration, as every command logs without --v or --logging-format.
        assertThat(new String(
                        LogSetupTest.class.getResourceAsStream("/logback.xml").readAllBytes(), StandardCharsets.UTF_8))
                .contains(LogSetup.TEXT_PATTERN.replace("%n", ""));
    }

    @Test
    void jsonLinesParseAndCarryTheKeysAndPairs() throws Exception {
        LogSetup.apply(LogSetup.Format.JSON, null, out);
        vipd.atWarn()
                .addKeyValue("service", "default/web")
                .addKeyValue("backends", 3)
                .addKeyValue("ready", true)
                .addKeyValue("cidrs", List.of("198.18.0.0/15"))
                .addKeyValue("msg", "a pair named like a field")
                .log("no ready backend, \"quoted\"\nand a new line");
        vipd.atError().setCause(new IllegalStateException("boom")).log("failed");
        List<String> lines = lines();
        assertThat(lines).hasSize(2);
        JsonNode first = JsonMapper.builder().build().readTree(lines.get(0));
        assertThat(OffsetDateTime.parse(first.get("ts").asString())).isNotNull();
        assertThat(first.get("ts").asString()).matches(".*\\.\\d{3}Z");
        assertThat(first.get("level").asString()).isEqualTo("warn");
        assertThat(first.get("logger").asString()).isEqualTo("io.vipd.test.LogSetupTest");
        assertThat(first.get("msg").asString()).isEqualTo("no ready backend, \"quoted\"\nand a new line");
        assertThat(first.get("service").asString()).isEqualTo("default/web");
        assertThat(first.get("backends").isInt()).isTrue();
        assertThat(first.get("backends").asInt()).isEqualTo(3);
        assertThat(first.get("ready").asBoolean()).isTrue();
        assertThat(first.get("cidrs").get(0).asString()).isEqualTo("198.18.0.0/15");
        assertThat(first.get("kv_msg").asString()).isEqualTo("a pair named like a field");
        JsonNode second = JsonMapper.builder().build().readTree(lines.get(1));
        assertThat(second.get("level").asString()).isEqualTo("error");
        assertThat(second.get("error").asString()).contains("IllegalStateException: boom");
    }

    @Test
    void verbosityChangesWhatIsLogged() {
        Map<Integer, List<String>> seen = new java.util.TreeMap<>();
        for (int v : new int[] {0, 2, 4, 5}) {
            out.reset();
            LogSetup.apply(LogSetup.Format.TEXT, v, out);
            vipd.info("vipd-info");
            vipd.debug("vipd-debug");
            vipd.trace("vipd-trace");
            client.info("client-info");
            client.debug("client-debug");
            seen.put(
                    v,
                    lines().stream()
                            .map(String::trim)
                            .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                            .toList());
        }
        assertThat(seen.get(0)).containsExactly("vipd-info");
        assertThat(seen.get(2)).containsExactly("vipd-info", "client-info");
        assertThat(seen.get(4)).containsExactly("vipd-info", "vipd-debug", "client-info");
        assertThat(seen.get(5)).containsExactly("vipd-info", "vipd-debug", "vipd-trace", "client-info", "client-debug");
    }

    @Test
    void edgeTakesTheLoggingFlagsToo() {
        java.io.StringWriter err = new java.io.StringWriter();
        int code = Main.run(
                new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(err),
                "edge",
                "--config=missing.yaml",
                "--v=2",
                "--logging-format=yaml");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("logging-format: \"yaml\" is neither text nor json");
    }

    @Test
    void badSettingsAreNamed() {
        assertThatThrownBy(() -> LogSetup.Format.parse("xml")).hasMessageStartingWith("logging-format:");
        assertThatThrownBy(() -> LogSetup.levels(-1)).hasMessageStartingWith("v:");
        assertThat(LogSetup.Format.parse("JSON")).isEqualTo(LogSetup.Format.JSON);
        assertThat(LogSetup.Format.parse(null)).isEqualTo(LogSetup.Format.TEXT);
    }
}
