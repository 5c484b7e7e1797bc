package io.vipd.edge;

import io.vipd.lb.Frontend;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.watcher.FileSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Kubernetes manifests as an edge configuration: Services and EndpointSlices (multi-document YAML or a v1
 * List, as {@code kubectl get -o yaml} prints them), recognized by a top-level {@code apiVersion} or
 * {@code kind}. The endpoints watcher's {@link FileSource} decodes them, each object on its own so an error
 * names its document and object; the result is a {@link ManifestConfig}, which the endpoints watcher's tracker
 * turns into service ports with kube-proxy's semantics. Every frontend with an address is listened on,
 * NodePorts on all addresses.
 */
public final class KubernetesManifestFormat implements EdgeConfigFormat {
    private static final Set<String> MANIFEST_KEYS = Set.of("apiVersion", "kind");
    private static final Pattern DOCUMENT = Pattern.compile("^.*?: document (\\d+)");

    @Override
    public boolean recognizes(List<Node> documents) {
        return looksLikeManifests(documents);
    }

    @Override
    public EdgeConfig parse(
            String file, String text, List<Node> documents, Function<ServicePortName, ServicePortEntry> previous)
            throws EdgeConfigException {
        FileSource.Loaded loaded = FileSource.load(file, text);
        if (!loaded.ok()) {
            String first = loaded.errors().get(0);
            String more =
                    loaded.errors().size() > 1 ? " (and " + (loaded.errors().size() - 1) + " more)" : "";
            throw new EdgeConfigException(file, lineOf(first, documents), withoutFile(first, file) + more);
        }
        refuseSctp(file, loaded);
        return new ManifestConfig(file, loaded, HealthCheckAnnotations.read(file, loaded.services()));
    }

    /**
     * An edge proxies TCP and UDP only, and binding an SCTP frontend as one of them would serve the wrong protocol;
     * {@code vipd node} forwards SCTP in the kernel instead.
     */
    private static void refuseSctp(String file, FileSource.Loaded loaded) throws EdgeConfigException {
        for (Map.Entry<Frontend, NamespacedName> f :
                FileSource.frontends(loaded).entrySet()) {
            if (f.getKey().protocol() == Protocol.SCTP) {
                throw new EdgeConfigException(
                        file,
                        0,
                        "Service " + f.getValue() + " port " + f.getKey().port() + "/SCTP: vipd edge proxies TCP "
                                + "and UDP only (vipd node forwards SCTP in the kernel); remove the port or the "
                                + "Service");
            }
        }
    }

    /** Whether any document is a mapping with a top-level apiVersion or kind. */
    public static boolean looksLikeManifests(List<Node> documents) {
        for (Node document : documents) {
            if (document instanceof MappingNode) {
                for (NodeTuple t : ((MappingNode) document).getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode
                            && MANIFEST_KEYS.contains(((ScalarNode) t.getKeyNode()).getValue())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** FileSource names the document ("<file>: document 3 ..."); its line comes from the composed nodes. */
    private static int lineOf(String error, List<Node> documents) {
        Matcher m = DOCUMENT.matcher(error);
        if (m.find()) {
            int index = Integer.parseInt(m.group(1)) - 1;
            if (index >= 0 && index < documents.size()) {
                return YamlNodes.line(documents.get(index));
            }
        }
        return 0;
    }

    private static String withoutFile(String error, String file) {
        return error.startsWith(file + ": ") ? error.substring(file.length() + 2) : error;
    }
}
