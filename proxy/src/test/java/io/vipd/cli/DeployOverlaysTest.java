package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.testing.Requires;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The deploy/ overlays as {@code kubectl kustomize} renders them: what each must keep (kinds, labels, the
 * arguments, memory limits and heap sizing, the hitless rollout settings) and what sets each apart.
 */
@Requires(commands = "kubectl")
class DeployOverlaysTest {
    private static final Path OVERLAYS = Path.of("../deploy/overlays");
    private static final String REPLACEMENT = "kube-proxy-replacement";
    private static final String OWN_NAMESPACE = "vipd-system";

    @Test
    void theOverlaysAreTheOnesThisTestChecks() throws IOException {
        try (Stream<Path> dirs = Files.list(OVERLAYS)) {
            assertThat(dirs.map(d -> d.getFileName().toString())).containsExactlyInAnyOrder(REPLACEMENT, OWN_NAMESPACE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {REPLACEMENT, OWN_NAMESPACE})
    void everyOverlayRendersAHitlessMemoryBoundedDaemonSet(String overlay) throws Exception {
        Rendered r = render(overlay);
        assertThat(r.kinds())
                .contains("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet")
                .doesNotHaveDuplicates();
        Map<String, Object> ds = r.one("DaemonSet");
        String namespace = str(ds, "metadata", "namespace");
        Map<String, Object> pod = map(ds, "spec", "template", "spec");
        Map<String, Object> container = first(pod, "containers");

        assertThat(str(container, "image")).isEqualTo("ghcr.io/vipd/vipd:0.1.0");
        assertThat(strings(container, "args"))
                .containsExactly(
                        "node",
                        "--config=/var/lib/kube-proxy/config.conf",
                        "--hostname-override=$(NODE_NAME)",
                        "--metrics-bind-address=0.0.0.0:10249",
                        "--state-dir=/run/vipd",
                        "--shutdown-grace=60s");
        assertThat(map(ds, "spec", "template", "metadata", "labels"))
                .containsAllEntriesOf(strMap(map(ds, "spec", "selector", "matchLabels")));
        // A selector on k8s-app would also match kube-proxy's own pods (k8s-app: kube-proxy).
        assertThat(map(ds, "spec", "selector", "matchLabels")).containsOnlyKeys("app.kubernetes.io/name");

        // Hitless rollout, as the previous round set it up.
        assertThat(map(ds, "spec", "updateStrategy", "rollingUpdate"))
                .containsEntry("maxSurge", 1)
                .containsEntry("maxUnavailable", 0);
        assertThat(pod).containsEntry("hostNetwork", true).containsEntry("terminationGracePeriodSeconds", 75);
        assertThat(strings(map(container, "readinessProbe", "exec"), "command").get(2))
                .contains("/run/vipd/owner");
        assertThat(volume(pod, "state"))
                .containsEntry("hostPath", Map.of("path", "/run/vipd", "type", "DirectoryOrCreate"));

        // Memory: requested and limited; heap plus the direct-memory cap leave room for the rest below the limit.
        long request = mebibytes(str(container, "resources", "requests", "memory"));
        long limit = mebibytes(str(container, "resources", "limits", "memory"));
        assertThat(request).isPositive().isLessThanOrEqualTo(limit);
        assertThat(map(container, "resources", "limits")).doesNotContainKey("cpu");
        String javaOptions = env(container, "JAVA_TOOL_OPTIONS");
        long heap = limit * flag(javaOptions, "-XX:MaxRAMPercentage=([0-9]+)") / 100;
        long direct = jvmMebibytes(flagText(javaOptions, "-XX:MaxDirectMemorySize=([0-9]+[mMgG])"));
        assertThat(javaOptions).contains("-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError");
        assertThat(heap).as("heap, MiB").isGreaterThanOrEqualTo(512);
        // Metaspace, code cache, threads and GC: 80-130 MiB measured for vipd edge (bench/README.md).
        assertThat(limit - heap - direct).as("left for the rest, MiB").isGreaterThanOrEqualTo(200);

        // RBAC binds the ServiceAccount the pods run as, in their namespace.
        assertThat(str(pod, "serviceAccountName")).isEqualTo("vipd");
        assertThat(str(r.one("ServiceAccount"), "metadata", "namespace")).isEqualTo(namespace);
        Map<String, Object> subject = first(r.one("ClusterRoleBinding"), "subjects");
        assertThat(subject).containsEntry("kind", "ServiceAccount").containsEntry("name", "vipd");
        assertThat(subject).containsEntry("namespace", namespace);
    }

    @Test
    void theReplacementTakesKubeProxysPlaceAndConfigMap() throws Exception {
        Rendered r = render(REPLACEMENT);
        Map<String, Object> ds = r.one("DaemonSet");
        assertThat(str(ds, "metadata", "namespace")).isEqualTo("kube-system");
        // What kube-prometheus-stack's kube-proxy Service selects (and its ServiceMonitor scrapes on 10249).
        assertThat(map(ds, "spec", "template", "metadata", "labels")).containsEntry("k8s-app", "kube-proxy");
        assertThat(port(first(map(ds, "spec", "template", "spec"), "containers"), "metrics"))
                .isEqualTo(10249);
        // kubeadm's ConfigMap, read as it is: vipd ships none in this overlay.
        assertThat(volume(map(ds, "spec", "template", "spec"), "config"))
                .containsEntry("configMap", Map.of("name", "kube-proxy"));
        assertThat(r.kinds()).doesNotContain("ConfigMap", "Namespace");
        KubeProxyConfiguration kubeadm =
                KubeProxyConfiguration.load(Path.of("src/test/resources/kube-proxy/kubeadm-config.conf"));
        assertThat(kubeadm.kubeconfig()).startsWith(mountPath(ds, "config") + "/");
    }

    @Test
    void theOwnNamespaceOverlayShipsItsConfigurationAndLabels() throws Exception {
        Rendered r = render(OWN_NAMESPACE);
        for (Map<String, Object> o : r.objects()) {
            Map<String, Object> labels = map(o, "metadata", "labels");
            assertThat(labels).as(str(o, "kind")).containsEntry("app.kubernetes.io/part-of", "vipd");
            if (!List.of("Namespace", "ClusterRole", "ClusterRoleBinding").contains(str(o, "kind"))) {
                assertThat(str(o, "metadata", "namespace")).as(str(o, "kind")).isEqualTo("vipd-system");
            }
        }
        assertThat(map(r.one("Namespace"), "metadata", "labels"))
                .containsEntry("pod-security.kubernetes.io/enforce", "privileged");
        Map<String, Object> ds = r.one("DaemonSet");
        assertThat(map(ds, "spec", "template", "metadata", "labels")).containsEntry("k8s-app", "vipd");

        // The generated ConfigMap (name with a content hash) is the one the pods mount, and its files agree
        // with the mount: the kubeconfig named in config.conf is the other key, at the mount path.
        Map<String, Object> cm = r.one("ConfigMap");
        assertThat(volume(map(ds, "spec", "template", "spec"), "config"))
                .containsEntry("configMap", Map.of("name", str(cm, "metadata", "name")));
        assertThat(str(cm, "metadata", "name")).startsWith("vipd-");
        KubeProxyConfiguration config = KubeProxyConfiguration.parse(str(cm, "data", "config.conf"));
        assertThat(config.ignored()).isEmpty();
        assertThat(config.kubeconfig()).isEqualTo(mountPath(ds, "config") + "/kubeconfig.conf");
        assertThat(map(cm, "data")).containsKey("kubeconfig.conf");
    }

    // --- rendering ---

    private record Rendered(List<Map<String, Object>> objects) {
        List<String> kinds() {
            return objects.stream().map(o -> str(o, "kind")).toList();
        }

        Map<String, Object> one(String kind) {
            List<Map<String, Object>> found =
                    objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
            assertThat(found).as(kind).hasSize(1);
            return found.get(0);
        }
    }

    @SuppressWarnings("unchecked")
    private static Rendered render(String overlay) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        "kubectl", "kustomize", OVERLAYS.resolve(overlay).toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as("kubectl kustomize %s: %s", overlay, out).isZero();
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(out)) {
            if (doc != null) {
                objects.add((Map<String, Object>) doc);
            }
        }
        return new Rendered(objects);
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    // --- reading the objects ---

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> o, String... path) {
        Object v = o;
        for (String key : path) {
            v = ((Map<String, Object>) v).get(key);
            assertThat(v).as(String.join(".", path)).isNotNull();
        }
        return (Map<String, Object>) v;
    }

    private static String str(Map<String, Object> o, String... path) {
        Map<String, Object> parent = path.length == 1 ? o : map(o, java.util.Arrays.copyOf(path, path.length - 1));
        return String.valueOf(parent.get(path[path.length - 1]));
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Map<String, Object> o, String key) {
        return (List<String>) o.get(key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> first(Map<String, Object> o, String key) {
        return ((List<Map<String, Object>>) o.get(key)).get(0);
    }

    private static Map<String, String> strMap(Map<String, Object> m) {
        Map<String, String> out = new java.util.HashMap<>();
        m.forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> volume(Map<String, Object> podSpec, String name) {
        return ((List<Map<String, Object>>) podSpec.get("volumes"))
                .stream()
                        .filter(v -> name.equals(v.get("name")))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    @SuppressWarnings("unchecked")
    private static String mountPath(Map<String, Object> ds, String volume) {
        Map<String, Object> container = first(map(ds, "spec", "template", "spec"), "containers");
        return ((List<Map<String, Object>>) container.get("volumeMounts"))
                .stream()
                        .filter(m -> volume.equals(m.get("name")))
                        .map(m -> (String) m.get("mountPath"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no mount of " + volume));
    }

    @SuppressWarnings("unchecked")
    private static int port(Map<String, Object> container, String name) {
        return ((List<Map<String, Object>>) container.get("ports"))
                .stream()
                        .filter(p -> name.equals(p.get("name")))
                        .map(p -> (Integer) p.get("containerPort"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no port " + name));
    }

    @SuppressWarnings("unchecked")
    private static String env(Map<String, Object> container, String name) {
        return ((List<Map<String, Object>>) container.get("env"))
                .stream()
                        .filter(e -> name.equals(e.get("name")))
                        .map(e -> (String) e.get("value"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static long flag(String options, String regex) {
        return Long.parseLong(flagText(options, regex));
    }

    private static String flagText(String options, String regex) {
        Matcher m = Pattern.compile(regex).matcher(options);
        assertThat(m.find()).as("%s in %s", regex, options).isTrue();
        return m.group(1);
    }

    /** A Kubernetes memory quantity in MiB: 256Mi, 1Gi. */
    private static long mebibytes(String quantity) {
        return size(quantity, "([0-9]+)(Mi|Gi)");
    }

    /** A JVM size flag's value in MiB: 256m, 1g. */
    private static long jvmMebibytes(String size) {
        return size(size, "([0-9]+)([mMgG])");
    }

    private static long size(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.matches()).as("a size: %s", text).isTrue();
        long n = Long.parseLong(m.group(1));
        return m.group(2).toLowerCase(java.util.Locale.ROOT).startsWith("g") ? n * 1024 : n;
    }
}
