package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code vipd plan} golden tests: each src/test/resources/plan/NAME.yaml is planned for node-1 (plus the
 * arguments in NAME.args, if any) and compared with NAME.json. Regenerate with -Dgolden.update=true.
 */
class PlanCommandTest {
    private static final Path DIR = Path.of("src/test/resources/plan");

    record Run(int code, String out, String err) {}

    static Run plan(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of("plan"));
        all.addAll(Arrays.asList(args));
        int code = cl.execute(all.toArray(new String[0]));
        return new Run(code, out.toString(), err.toString());
    }

    static Stream<String> manifests() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml"))
                    .map(n -> n.substring(0, n.length() - 5))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifests")
    void matchesGolden(String name) throws IOException {
        List<String> args = new ArrayList<>(
                List.of("--manifests", DIR.resolve(name + ".yaml").toString(), "--node-name", "node-1", "-o", "json"));
        Path extra = DIR.resolve(name + ".args");
        if (Files.exists(extra)) {
            args.addAll(Arrays.asList(Files.readString(extra).trim().split("\\s+")));
        }
        Run run = plan(args.toArray(new String[0]));
        assertThat(run.code()).as(run.err()).isZero();
        Path golden = DIR.resolve(name + ".json");
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(golden, run.out(), StandardCharsets.UTF_8);
        }
        assertThat(golden)
                .as("golden file; create it with -Dgolden.update=true")
                .exists();
        assertThat(run.out()).isEqualTo(Files.readString(golden));
    }

    @Test
    void objectsSpreadOverSeveralFilesPlanAsOne(@TempDir Path tmp) throws IOException {
        // topology.yaml's documents (a Node, Services, EndpointSlices) split over two files: the same plan.
        String[] docs = Files.readString(DIR.resolve("topology.yaml")).split("(?m)^---\\s*$");
        assertThat(docs.length).isGreaterThan(2);
        int half = docs.length / 2;
        Path first = tmp.resolve("first.yaml");
        Path second = tmp.resolve("second.yaml");
        Files.writeString(first, String.join("---\n", Arrays.copyOfRange(docs, 0, half)));
        Files.writeString(second, String.join("---\n", Arrays.copyOfRange(docs, half, docs.length)));

        Run run = plan(
                "--manifests",
                second.toString(),
                "--manifests",
                first.toString(),
                "--node-name",
                "node-1",
                "-o",
                "json");

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(Files.readString(DIR.resolve("topology.json")));
    }

    @Test
    void theTableShowsOneRowPerFrontend() {
        Run run = plan("--manifests", DIR.resolve("basic.yaml").toString(), "--node-name", "node-1");
        assertThat(run.code()).isZero();
        assertThat(run.out().lines().findFirst().orElseThrow())
                .startsWith("SERVICE")
                .contains("BACKENDS");
        assertThat(run.out())
                .containsPattern("edge/ingress +https +TCP +proxy +\\*:30443 +NodePort +drop +-")
                .containsPattern("shop/empty +- +TCP +proxy +10.96.10.99:8080 +ClusterIP +reject +-");
    }

    @Test
    void theTableSaysSctpIsForwardedInTheKernel() {
        Run run = plan("--manifests", DIR.resolve("sctp.yaml").toString(), "--node-name", "node-1");
        assertThat(run.code()).isZero();
        assertThat(run.out().lines().findFirst().orElseThrow()).contains(" VIA ");
        assertThat(run.out())
                .containsPattern("telco/signalling +s1ap +SCTP +kernel +10.96.30.10:36412 +ClusterIP +forward")
                .containsPattern("telco/signalling +http +TCP +proxy +\\*:30080 +NodePort +forward");
    }

    @Test
    void badManifestsExitTwoNamingFileAndObject(@TempDir Path tmp) throws IOException {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, """
                apiVersion: v1
                kind: Service
                metadata: {name: broken, namespace: x}
                spec: {ports: "not a list"}
                """);
        Run run = plan("--manifests", bad.toString(), "--node-name", "n");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("bad.yaml").contains("document 1").contains("Service x/broken");
        assertThat(run.out()).isEmpty();

        Files.writeString(bad, "a: [unclosed\n");
        run = plan("--manifests", bad.toString(), "--node-name", "n");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("bad.yaml").contains("not valid YAML");

        run = plan("--manifests", tmp.resolve("missing.yaml").toString(), "--node-name", "n");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("missing.yaml");

        run = plan(
                "--manifests",
                DIR.resolve("basic.yaml").toString(),
                "--node-name",
                "n",
                "--feature-gates",
                "PreferSameTrafficDistribution=maybe");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("PreferSameTrafficDistribution has value \"maybe\"");

        // Other Kubernetes gates (kubeadm's configuration may set any) are named and ignored.
        run = plan(
                "--manifests",
                DIR.resolve("basic.yaml").toString(),
                "--node-name",
                "n",
                "--feature-gates",
                "NFTablesProxyMode=true");
        assertThat(run.code()).isZero();
        assertThat(run.err()).contains("feature gate NFTablesProxyMode does not change what vipd programs");

        run = plan("--manifests", DIR.resolve("basic.yaml").toString());
        assertThat(run.code()).isEqualTo(2);
    }

    @Test
    void fromPodMarksTheBackendsItsEgressPolicyDenies() {
        Run run = plan(
                "--manifests",
                DIR.resolve("netpol.yaml").toString(),
                "--node-name",
                "node-1",
                "--from-pod",
                "clients/client");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out())
                .startsWith("from pod clients/client: egress restricted by clients/only-tier-a;")
                .contains("10.244.1.10:8080,10.244.2.20:8080(denied)");
        Run unrestricted = plan(
                "--manifests",
                DIR.resolve("netpol.yaml").toString(),
                "--node-name",
                "node-1",
                "--from-pod",
                "backends/api-a");
        assertThat(unrestricted.out())
                .startsWith("from pod backends/api-a: no egress NetworkPolicy selects it")
                .doesNotContain("(denied)");
    }

    @Test
    void fromPodNamesAPodThatIsNotThere() {
        Run run = plan(
                "--manifests",
                DIR.resolve("netpol.yaml").toString(),
                "--node-name",
                "node-1",
                "--from-pod",
                "clients/nobody");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--from-pod clients/nobody: no such Pod in the manifests");
    }
}
