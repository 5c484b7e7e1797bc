package io.vipd.node;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.vipd.lb.Cidr;
import io.vipd.watcher.NodePodCidrs;
import io.vipd.watcher.WatcherRuntime;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source CIDRs a node takes for its own pods' at start, by {@code --detect-local-mode}: --cluster-cidr, the
 * Node's spec.podCIDRs, or the routes through the pods' bridge or interfaces ({@link PodRoutes}). Stateless.
 */
final class LocalCidrs {
    private static final Logger log = LoggerFactory.getLogger(LocalCidrs.class);
    /** How long NodeCIDR waits for the Node's pod CIDRs before vipd gives up (and the DaemonSet restarts it). */
    private static final Duration POD_CIDR_WAIT = Duration.ofSeconds(30);

    private LocalCidrs() {}

    /** @throws IOException when NodeCIDR cannot read the Node's pod CIDRs */
    static List<Cidr> resolve(NodeSettings settings) throws IOException {
        LocalDetection detection = settings.localDetection();
        return switch (detection.mode()) {
            case CLUSTER_CIDR -> settings.clusterCidrs();
            case NODE_CIDR -> nodePodCidrs(settings);
            case BRIDGE_INTERFACE, INTERFACE_NAME_PREFIX -> {
                List<Cidr> routes = PodRoutes.read(detection::podInterface);
                if (routes.isEmpty()) {
                    log.atWarn()
                            .addKeyValue("detectLocalMode", detection.mode().kubeName())
                            .addKeyValue("bridgeInterface", detection.bridgeInterface())
                            .addKeyValue("interfaceNamePrefix", detection.interfaceNamePrefix())
                            .log("No route goes through the pods' interfaces yet: no source is local until one does");
                }
                yield routes;
            }
        };
    }

    private static List<Cidr> nodePodCidrs(NodeSettings settings) throws IOException {
        try (KubernetesClient client = WatcherRuntime.client(
                settings.kubeconfig(), settings.master(), settings.nodeName(), settings.apiClient())) {
            return NodePodCidrs.await(client, settings.nodeName(), POD_CIDR_WAIT, Duration.ofSeconds(1));
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the Node's pod CIDRs", e);
        }
    }
}
