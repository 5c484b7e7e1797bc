package io.vipd.proxy.edge;

import java.util.List;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Kubernetes manifests (Service and EndpointSlice documents) as an edge configuration, recognized by a
 * top-level {@code apiVersion} or {@code kind}. The manifest parser belongs to the endpoints watcher; until it
 * is plugged in here (an {@link EdgeConfigFormat} wrapping it, placed before this one in
 * {@link EdgeConfigLoader#defaultFormats()}), such files are refused with a clear reason.
 */
public final class ManifestConfigFormat implements EdgeConfigFormat {
    private static final Set<String> MANIFEST_KEYS = Set.of("apiVersion", "kind");

    @Override
    public boolean recognizes(List<Node> documents) {
        return looksLikeManifests(documents);
    }

    @Override
    public EdgeConfig parse(String file, String text, List<Node> documents) throws EdgeConfigException {
        Node at = documents.stream().filter(ManifestConfigFormat::isManifest).findFirst().orElse(documents.get(0));
        throw new EdgeConfigException(file, YamlNodes.line(at),
                "Kubernetes manifests are not supported yet (use the services: format of examples/edge.yaml)");
    }

    /** Whether any document is a mapping with a top-level apiVersion or kind. */
    public static boolean looksLikeManifests(List<Node> documents) {
        return documents.stream().anyMatch(ManifestConfigFormat::isManifest);
    }

    private static boolean isManifest(Node document) {
        if (!(document instanceof MappingNode)) {
            return false;
        }
        for (NodeTuple t : ((MappingNode) document).getValue()) {
            if (t.getKeyNode() instanceof ScalarNode
                    && MANIFEST_KEYS.contains(((ScalarNode) t.getKeyNode()).getValue())) {
                return true;
            }
        }
        return false;
    }
}
