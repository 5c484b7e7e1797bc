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
        assertThat(FileSource.entries(loaded, "n", FeatureGates.defaults()).get(0).name()).hasToString("ns/b:p/UDP");
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
                .isInstanceOf(FileSource.ManifestException.class).hasMessageContaining("ns/broken");
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
