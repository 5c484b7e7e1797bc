package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.lb.ServicePortEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSourceTest {
    private static final Path TWO_DOCS = Path.of("src/test/resources/manifests/two-docs.yaml");

    @TempDir
    Path tmp;

    @Test
    void readsMultiDocumentYaml() {
        List<ServicePortEntry> entries = FileSource.entries(new Path[] {TWO_DOCS}, "node-1", FeatureGates.defaults());
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).name()).hasToString("ns/a:http/TCP");
        assertThat(entries.get(0).clusterEndpoints().keys()).containsExactly("10.0.0.1:8080");
    }

    @Test
    void readsAV1ListAsJson() throws IOException {
        Path json = tmp.resolve("list.json");
        Files.writeString(json, """
                {"apiVersion": "v1", "kind": "List", "items": [
                  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b", "namespace": "ns"},
                   "spec": {"clusterIP": "10.96.0.2", "ports": [{"name": "p", "port": 81, "protocol": "UDP"}]}},
                  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ignored"}}
                ]}
                """);
        FileSource.Loaded loaded = FileSource.load(json);
        assertThat(loaded.ok()).isTrue();
        assertThat(loaded.services()).hasSize(1);
        assertThat(loaded.ignored()).isEqualTo(1);
        assertThat(FileSource.entries(loaded, "n", FeatureGates.defaults())
                        .get(0)
                        .name())
                .hasToString("ns/b:p/UDP");
    }

    @Test
    void errorsNameTheFileTheDocumentAndTheObject() throws IOException {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, """
                apiVersion: v1
                kind: Service
                metadata: {name: ok, namespace: ns}
                spec: {clusterIP: 10.96.0.3, ports: [{name: p, port: 80}]}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: broken, namespace: ns}
                spec: {clusterIP: 10.96.0.4, ports: {not: a list}}
                ---
                just a string
                ---
                kind: Service
                """);
        FileSource.Loaded loaded = FileSource.load(bad, tmp.resolve("absent.yaml"));
        assertThat(loaded.services()).hasSize(1);
        assertThat(loaded.errors()).hasSize(4);
        assertThat(loaded.errors().get(0)).contains("bad.yaml: document 2 (Service ns/broken)");
        assertThat(loaded.errors().get(1)).contains("bad.yaml: document 3").contains("not a Kubernetes object");
        assertThat(loaded.errors().get(2)).contains("document 4").contains("no apiVersion or kind");
        assertThat(loaded.errors().get(3)).contains("absent.yaml").contains("cannot read");
        assertThatThrownBy(() -> FileSource.entries(new Path[] {bad}, "n", FeatureGates.defaults()))
                .isInstanceOf(FileSource.ManifestException.class)
                .hasMessageContaining("ns/broken");
    }

    @Test
    void readsTextAsItReadsAFile() throws IOException {
        FileSource.Loaded fromFile = FileSource.load(TWO_DOCS);
        FileSource.Loaded fromText = FileSource.load(TWO_DOCS.toString(), Files.readString(TWO_DOCS));
        assertThat(fromText).isEqualTo(fromFile);

        FileSource.Loaded bad = FileSource.load(
                "m.yaml",
                "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n" + "spec: {ports: 7}\n---\n[unclosed\n");
        assertThat(bad.errors()).hasSize(1);
        assertThat(bad.errors().get(0)).startsWith("m.yaml: not valid YAML");
        assertThat(FileSource.load("m.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: 7}\n")
                        .errors())
                .singleElement()
                .asString()
                .startsWith("m.yaml: document 1 (Service a): ");
    }

    @Test
    void theFrontendsAreKnownBeforeAnythingIsApplied() throws IOException {
        Path file = tmp.resolve("m.yaml");
        Files.writeString(file, """
                apiVersion: v1
                kind: Service
                metadata: {name: a, namespace: ns}
                spec:
                  type: NodePort
                  clusterIP: 10.96.0.1
                  externalIPs: [192.0.2.1]
                  ports: [{name: http, port: 80, nodePort: 30080, protocol: TCP}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: headless, namespace: ns}
                spec: {clusterIP: None, ports: [{name: http, port: 80}]}
                """);
        FileSource.Loaded loaded = FileSource.load(file);

        assertThat(FileSource.frontends(loaded)).hasSize(3).containsValue(io.vipd.lb.NamespacedName.of("ns", "a"));
        assertThat(FileSource.frontends(loaded).keySet())
                .extracting(Object::toString)
                .containsExactly("10.96.0.1:80/TCP", "*:30080/TCP", "192.0.2.1:80/TCP");
        TrackerHarness h = new TrackerHarness(FeatureGates.defaults(), false);
        new FileSource(h.tracker).apply(loaded);
        h.tracker.sync();
        assertThat(h.entry("ns", "a", "http").frontends())
                .extracting(f -> f.frontend())
                .containsExactlyElementsOf(FileSource.frontends(loaded).keySet());
    }

    @Test
    void reloadAppliesOnlyTheDifference() throws IOException {
        TrackerHarness h = new TrackerHarness(FeatureGates.defaults(), false);
        FileSource source = new FileSource(h.tracker);
        Path file = tmp.resolve("m.yaml");
        String two = Files.readString(TWO_DOCS) + """
                apiVersion: v1
                kind: Service
                metadata: {name: c, namespace: ns}
                spec:
                  clusterIP: 10.96.0.9
                  ports:
                  - {name: http, port: 80, protocol: TCP}
                """;
        Files.writeString(file, two);
        assertThat(source.apply(FileSource.load(file))).isTrue();
        h.tracker.sync();
        assertThat(h.table.size()).isEqualTo(2);
        ServicePortEntry a = h.entry("ns", "a", "http");

        assertThat(source.apply(FileSource.load(file))).isFalse();
        Files.writeString(file, Files.readString(TWO_DOCS));
        assertThat(source.apply(FileSource.load(file))).isTrue();
        SyncResult r = h.tracker.sync();
        assertThat(r.removed()).extracting(Object::toString).containsExactly("ns/c:http/TCP");
        assertThat(r.upserted()).isEmpty();
        assertThat(h.entry("ns", "a", "http")).isSameAs(a);
    }
}
