package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vipd.netpol.NamespaceInfo;
import io.vipd.netpol.PodInfo;
import io.vipd.netpol.Policy;
import io.vipd.netpol.PolicyConversions;
import io.vipd.netpol.PolicySnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * NetworkPolicies, Pods and Namespaces from manifest files (e.g. {@code kubectl get netpol,pods,ns -A -o yaml})
 * as a {@link PolicySnapshot}, for {@code vipd plan --from-pod}. Other kinds are skipped ({@link FileSource} reads
 * Services and EndpointSlices from the same files). Never throws for bad content: each problem names its file,
 * document and object.
 */
public final class PolicyManifests {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private PolicyManifests() {}

    /** The snapshot and what could not be read. */
    public record Loaded(PolicySnapshot snapshot, List<String> problems) {
        public Loaded {
            problems = List.copyOf(problems);
        }
    }

    public static Loaded load(Path... files) {
        List<Policy> policies = new ArrayList<>();
        List<PodInfo> pods = new ArrayList<>();
        List<NamespaceInfo> namespaces = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            List<Object> documents = new ArrayList<>();
            try (InputStream in = Files.newInputStream(file)) {
                new Load(LoadSettings.builder().setLabel(file.toString()).build())
                        .loadAllFromInputStream(in)
                        .forEach(documents::add);
            } catch (IOException | YamlEngineException e) {
                problems.add(file + ": cannot read: " + e.getMessage().replace('\n', ' '));
                continue;
            }
            for (int d = 0; d < documents.size(); d++) {
                String where = file + ": document " + (d + 1);
                if (documents.get(d) instanceof Map<?, ?> map
                        && map.get("kind") instanceof String kind
                        && kind.endsWith("List")
                        && map.get("items") instanceof List<?> items) {
                    for (int i = 0; i < items.size(); i++) {
                        decode(items.get(i), where + ", item " + (i + 1), policies, pods, namespaces, problems);
                    }
                } else {
                    decode(documents.get(d), where, policies, pods, namespaces, problems);
                }
            }
        }
        return new Loaded(PolicySnapshot.of(policies, pods, namespaces), problems);
    }

    private static void decode(
            Object item,
            String where,
            List<Policy> policies,
            List<PodInfo> pods,
            List<NamespaceInfo> namespaces,
            List<String> problems) {
        if (!(item instanceof Map<?, ?> map)) {
            return;
        }
        Object kind = map.get("kind");
        Object apiVersion = map.get("apiVersion");
        try {
            if ("NetworkPolicy".equals(kind) && "networking.k8s.io/v1".equals(apiVersion)) {
                Policy p = PolicyConversions.policy(
                        SERIALIZATION.convertValue(map, NetworkPolicy.class), m -> problems.add(where + ": " + m));
                if (p != null) {
                    policies.add(p);
                }
            } else if ("Pod".equals(kind) && "v1".equals(apiVersion)) {
                PodInfo p = PolicyConversions.pod(
                        SERIALIZATION.convertValue(map, Pod.class), m -> problems.add(where + ": " + m));
                if (p != null) {
                    pods.add(p);
                }
            } else if ("Namespace".equals(kind) && "v1".equals(apiVersion)) {
                namespaces.add(PolicyConversions.namespace(SERIALIZATION.convertValue(map, Namespace.class)));
            }
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            int nl = msg.indexOf('\n');
            problems.add(where + " (" + kind + "): " + (nl < 0 ? msg : msg.substring(0, nl)));
        }
    }
}
