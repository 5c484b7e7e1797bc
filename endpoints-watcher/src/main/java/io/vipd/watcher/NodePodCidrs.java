package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vipd.lb.Cidr;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --detect-local-mode=NodeCIDR}: this node's {@code spec.podCIDRs}, read once at start as kube-proxy does
 * (it waits for them, and exits when they change later). Stateless.
 */
public final class NodePodCidrs {
    private static final Logger log = LoggerFactory.getLogger(NodePodCidrs.class);

    private NodePodCidrs() {}

    /**
     * Reads the Node until it has pod CIDRs, retrying every {@code interval} for up to {@code timeout}.
     *
     * @throws IllegalStateException naming the node when it has none after {@code timeout}
     */
    public static List<Cidr> await(KubernetesClient client, String nodeName, Duration timeout, Duration interval)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "the Node was not found";
        while (true) {
            try {
                List<Node> nodes = client.nodes()
                        .withField("metadata.name", nodeName)
                        .list()
                        .getItems();
                if (!nodes.isEmpty()) {
                    List<Cidr> cidrs = NodeInfo.podCidrs(nodes.get(0));
                    if (!cidrs.isEmpty()) {
                        return cidrs;
                    }
                    last = "the Node has no spec.podCIDRs";
                }
            } catch (KubernetesClientException e) {
                last = e.getMessage();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("detect-local-mode NodeCIDR: cannot read the pod CIDRs of Node "
                        + nodeName + " within " + timeout.toSeconds() + " s: " + last);
            }
            log.atInfo()
                    .addKeyValue("node", nodeName)
                    .addKeyValue("reason", last)
                    .log("Waiting for the Node's pod CIDRs (--detect-local-mode=NodeCIDR)");
            Thread.sleep(interval.toMillis());
        }
    }
}
