package io.vipd.cli;

import io.vipd.lb.BackendSet;
import io.vipd.lb.ServicePortEntry;
import io.vipd.netpol.ClientEgress;
import io.vipd.netpol.PodInfo;
import io.vipd.netpol.Policy;
import io.vipd.watcher.PolicyManifests;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vipd plan --from-pod}: one pod of the manifests as a client, and what its egress NetworkPolicies let it
 * reach, judged as {@code vipd node} judges it at pick time. Immutable.
 */
final class FromPod {
    private final PodInfo pod;
    /** Null when no policy isolates the pod for egress. */
    private final ClientEgress egress;

    private FromPod(PodInfo pod, ClientEgress egress) {
        this.pod = pod;
        this.egress = egress;
    }

    /**
     * @param namespacedName "namespace/name" of a Pod in the manifests
     * @throws IllegalArgumentException when it is malformed or no such Pod is in the manifests
     */
    static FromPod resolve(String namespacedName, List<Path> manifests, PrintWriter err) {
        int slash = namespacedName.indexOf('/');
        if (slash <= 0 || slash == namespacedName.length() - 1 || namespacedName.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException(
                    "--from-pod \"" + namespacedName + "\": want NAMESPACE/NAME of a Pod in the manifests");
        }
        PolicyManifests.Loaded loaded = PolicyManifests.load(manifests.toArray(new Path[0]));
        for (String problem : loaded.problems()) {
            err.println("vipd plan: " + problem);
        }
        PodInfo pod = loaded.snapshot()
                .pod(namespacedName.substring(0, slash), namespacedName.substring(slash + 1))
                .orElseThrow(() -> new IllegalArgumentException(
                        "--from-pod " + namespacedName + ": no such Pod in the manifests (a v1 Pod object)"));
        return new FromPod(pod, loaded.snapshot().allowanceFor(pod));
    }

    /** The keys of {@code set} the pod may not reach on {@code entry}'s protocol. */
    List<String> denied(BackendSet set, ServicePortEntry entry) {
        List<String> out = new ArrayList<>();
        if (egress == null) {
            return out;
        }
        for (int i = 0; i < set.size(); i++) {
            var b = set.get(i);
            if (!egress.allows(b.ip(), entry.name().protocol(), b.port())) {
                out.add(set.key(i));
            }
        }
        return out;
    }

    /** One line for the table output. */
    String summary() {
        if (pod.hostNetwork()) {
            return "from pod " + pod + ": host network, so no pod policy applies; every backend is reachable";
        }
        if (egress == null) {
            return "from pod " + pod + ": no egress NetworkPolicy selects it; every backend is reachable";
        }
        return "from pod " + pod + ": egress restricted by "
                + String.join(
                        ", ", egress.policies().stream().map(Policy::toString).toList())
                + "; vipd never picks a backend marked (denied) for it";
    }

    /** The pod, whether a policy restricts it and which: the {@code fromPod} object of {@code vipd plan -o json}. */
    Map<String, Object> model() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pod", pod.toString());
        m.put("restricted", egress != null);
        m.put(
                "policies",
                egress == null
                        ? List.of()
                        : egress.policies().stream().map(Object::toString).toList());
        return m;
    }
}
