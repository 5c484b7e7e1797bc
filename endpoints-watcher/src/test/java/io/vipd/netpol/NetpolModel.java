package io.vipd.netpol;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vipd.lb.Addresses;
import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The upstream e2e suite's cluster (test/e2e/network/netpol): namespaces x, y, z labelled {@code ns: <name>}, pods
 * a, b, c in each labelled {@code pod: <name>}, every pod serving ports 80 and 81 over TCP, UDP and SCTP with the
 * container port names {@code serve-80-tcp}, {@code serve-81-udp}, ... Pod {@code ns/p} has address
 * 198.18.{1,2,3}.{1,2,3}. Test helper.
 */
final class NetpolModel {
    static final List<String> NAMESPACES = List.of("x", "y", "z");
    static final List<String> POD_NAMES = List.of("a", "b", "c");
    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private NetpolModel() {}

    static List<PodInfo> pods() {
        List<PodInfo> pods = new ArrayList<>();
        for (String ns : NAMESPACES) {
            for (String p : POD_NAMES) {
                pods.add(pod(ns, p, "node-1"));
            }
        }
        return pods;
    }

    static PodInfo pod(String ns, String name, String node) {
        List<PodInfo.ContainerPort> ports = new ArrayList<>();
        for (int port : new int[] {80, 81}) {
            for (Protocol proto : Protocol.values()) {
                ports.add(new PodInfo.ContainerPort(
                        "serve-" + port + "-" + proto.name().toLowerCase(java.util.Locale.ROOT), proto, port));
            }
        }
        return new PodInfo(ns, name, Map.of("pod", name), List.of(ip(ns + "/" + name)), node, false, ports);
    }

    static List<NamespaceInfo> namespaces() {
        return NAMESPACES.stream()
                .map(n -> new NamespaceInfo(n, Map.of("ns", n)))
                .toList();
    }

    /** The address of "ns/pod". */
    static InetAddress ip(String podString) {
        String[] p = podString.split("/");
        return Addresses.parseIp("198.18." + (NAMESPACES.indexOf(p[0]) + 1) + "." + (POD_NAMES.indexOf(p[1]) + 1));
    }

    static List<String> allPodStrings() {
        List<String> all = new ArrayList<>();
        for (String ns : NAMESPACES) {
            for (String p : POD_NAMES) {
                all.add(ns + "/" + p);
            }
        }
        return all;
    }

    /** NetworkPolicies from YAML documents separated by "---", converted; a conversion problem fails the test. */
    static List<Policy> policies(String yaml) {
        List<Policy> out = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---$")) {
            if (doc.isBlank()) {
                continue;
            }
            NetworkPolicy np = YAML.unmarshal(doc, NetworkPolicy.class);
            out.add(PolicyConversions.policy(np, problem -> {
                throw new AssertionError(problem);
            }));
        }
        return out;
    }
}
