package io.vipd.netpol;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * fabric8 NetworkPolicies, Pods and Namespaces to this package's records. The API server validates policies, so
 * a bad one comes only from a manifest file or a bug; it never stops the rest: an egress rule that cannot be
 * read is left out (the pods the policy selects stay isolated, so it fails closed) and a problem naming the
 * object and field is reported. Pure.
 */
public final class PolicyConversions {
    private PolicyConversions() {}

    /**
     * The egress half of {@code np}, or null when its podSelector cannot be read (then it selects nothing we could
     * name; reported). policyTypes absent or empty: Ingress, plus Egress when it has egress rules (the API
     * server's defaulting).
     */
    public static Policy policy(NetworkPolicy np, Consumer<String> problems) {
        ObjectMeta meta = np.getMetadata();
        String id = "NetworkPolicy " + meta.getNamespace() + "/" + meta.getName();
        var spec = np.getSpec();
        if (spec == null) {
            problems.accept(id + ": no spec");
            return null;
        }
        LabelSelector podSelector;
        try {
            podSelector = selector(spec.getPodSelector());
        } catch (IllegalArgumentException e) {
            problems.accept(id + ": spec.podSelector: " + e.getMessage());
            return null;
        }
        List<NetworkPolicyEgressRule> egress = spec.getEgress() == null ? List.of() : spec.getEgress();
        List<String> types = spec.getPolicyTypes();
        boolean isolatesEgress = types == null || types.isEmpty() ? !egress.isEmpty() : types.contains("Egress");
        List<EgressRule> rules = new ArrayList<>();
        for (int i = 0; i < egress.size(); i++) {
            try {
                rules.add(rule(egress.get(i)));
            } catch (IllegalArgumentException e) {
                problems.accept(id + ": spec.egress[" + i + "]." + e.getMessage() + " (rule left out)");
            }
        }
        return new Policy(meta.getNamespace(), meta.getName(), podSelector, isolatesEgress, rules);
    }

    private static EgressRule rule(NetworkPolicyEgressRule r) {
        List<Peer> to = new ArrayList<>();
        List<NetworkPolicyPeer> peers = r.getTo() == null ? List.of() : r.getTo();
        for (int i = 0; i < peers.size(); i++) {
            try {
                to.add(peer(peers.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("to[" + i + "]" + e.getMessage(), e);
            }
        }
        List<PortMatch> ports = new ArrayList<>();
        List<NetworkPolicyPort> list = r.getPorts() == null ? List.of() : r.getPorts();
        for (int i = 0; i < list.size(); i++) {
            try {
                ports.add(port(list.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ports[" + i + "]" + e.getMessage(), e);
            }
        }
        return new EgressRule(to, ports);
    }

    private static Peer peer(NetworkPolicyPeer p) {
        IPBlock block = p.getIpBlock();
        if (block != null) {
            if (p.getPodSelector() != null || p.getNamespaceSelector() != null) {
                throw new IllegalArgumentException(": ipBlock cannot be combined with a selector");
            }
            if (block.getCidr() == null) {
                throw new IllegalArgumentException(".ipBlock.cidr: missing");
            }
            Cidr cidr = cidr(block.getCidr(), ".ipBlock.cidr");
            List<Cidr> except = new ArrayList<>();
            List<String> ex = block.getExcept() == null ? List.of() : block.getExcept();
            for (int i = 0; i < ex.size(); i++) {
                except.add(cidr(ex.get(i), ".ipBlock.except[" + i + "]"));
            }
            return Peer.block(new IpBlock(cidr, except));
        }
        if (p.getPodSelector() == null && p.getNamespaceSelector() == null) {
            throw new IllegalArgumentException(": needs podSelector, namespaceSelector or ipBlock");
        }
        try {
            return new Peer(
                    p.getPodSelector() == null ? null : selector(p.getPodSelector()),
                    p.getNamespaceSelector() == null ? null : selector(p.getNamespaceSelector()),
                    null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(" selector: " + e.getMessage(), e);
        }
    }

    private static Cidr cidr(String text, String field) {
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": \"" + text + "\" is not a CIDR", e);
        }
    }

    private static PortMatch port(NetworkPolicyPort p) {
        Protocol protocol;
        try {
            protocol = Protocol.parse(p.getProtocol());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(".protocol: " + e.getMessage(), e);
        }
        IntOrString port = p.getPort();
        Integer endPort = p.getEndPort();
        if (port == null) {
            if (endPort != null) {
                throw new IllegalArgumentException(".endPort: needs a numeric port");
            }
            return PortMatch.allPorts(protocol);
        }
        if (port.getIntVal() == null) {
            String name = port.getStrVal();
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException(".port: empty");
            }
            if (endPort != null) {
                throw new IllegalArgumentException(".endPort: not allowed with the named port \"" + name + "\"");
            }
            return PortMatch.named(protocol, name);
        }
        int first = port.getIntVal();
        int last = endPort == null ? first : endPort;
        if (first < 1 || first > 65535) {
            throw new IllegalArgumentException(".port: " + first + " outside 1..65535");
        }
        if (last < first || last > 65535) {
            throw new IllegalArgumentException(".endPort: " + last + " outside " + first + "..65535");
        }
        return PortMatch.range(protocol, first, last);
    }

    /** A fabric8 label selector; null (absent) selects everything, as {@code {}} does. */
    public static LabelSelector selector(io.fabric8.kubernetes.api.model.LabelSelector s) {
        if (s == null) {
            return LabelSelector.ALL;
        }
        Map<String, String> labels = s.getMatchLabels() == null ? Map.of() : s.getMatchLabels();
        List<LabelSelector.Requirement> reqs = new ArrayList<>();
        List<LabelSelectorRequirement> exprs = s.getMatchExpressions() == null ? List.of() : s.getMatchExpressions();
        for (int i = 0; i < exprs.size(); i++) {
            LabelSelectorRequirement r = exprs.get(i);
            if (r.getKey() == null || r.getKey().isEmpty()) {
                throw new IllegalArgumentException("matchExpressions[" + i + "].key: missing");
            }
            LabelSelector.Operator op;
            try {
                op = LabelSelector.Operator.parse(r.getOperator());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("matchExpressions[" + i + "].operator: " + e.getMessage(), e);
            }
            Set<String> values = r.getValues() == null ? Set.of() : new LinkedHashSet<>(r.getValues());
            boolean needsValues = op == LabelSelector.Operator.IN || op == LabelSelector.Operator.NOT_IN;
            if (needsValues == values.isEmpty()) {
                throw new IllegalArgumentException("matchExpressions[" + i + "].values: "
                        + (needsValues ? "required" : "must be empty") + " for " + r.getOperator());
            }
            reqs.add(new LabelSelector.Requirement(r.getKey(), op, values));
        }
        return new LabelSelector(labels, reqs);
    }

    /**
     * What policies need of a pod, or null for a pod that finished (Succeeded or Failed: its addresses may
     * already belong to another pod). Unreadable addresses and ports are left out and reported.
     */
    public static PodInfo pod(Pod pod, Consumer<String> problems) {
        ObjectMeta meta = pod.getMetadata();
        String id = "Pod " + meta.getNamespace() + "/" + meta.getName();
        var status = pod.getStatus();
        String phase = status == null ? null : status.getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            return null;
        }
        Set<String> ipTexts = new LinkedHashSet<>();
        if (status != null) {
            if (status.getPodIPs() != null) {
                status.getPodIPs().stream()
                        .map(PodIP::getIp)
                        .filter(ip -> ip != null && !ip.isEmpty())
                        .forEach(ipTexts::add);
            }
            if (ipTexts.isEmpty()
                    && status.getPodIP() != null
                    && !status.getPodIP().isEmpty()) {
                ipTexts.add(status.getPodIP());
            }
        }
        List<InetAddress> ips = new ArrayList<>();
        for (String text : ipTexts) {
            try {
                ips.add(Addresses.parseIp(text));
            } catch (IllegalArgumentException e) {
                problems.accept(id + ": status.podIPs: \"" + text + "\" is not an IP address (left out)");
            }
        }
        var spec = pod.getSpec();
        List<PodInfo.ContainerPort> ports = new ArrayList<>();
        String nodeName = null;
        boolean hostNetwork = false;
        if (spec != null) {
            nodeName = spec.getNodeName();
            hostNetwork = Boolean.TRUE.equals(spec.getHostNetwork());
            addPorts(id, "spec.initContainers", spec.getInitContainers(), ports, problems);
            addPorts(id, "spec.containers", spec.getContainers(), ports, problems);
        }
        Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
        return new PodInfo(meta.getNamespace(), meta.getName(), labels, ips, nodeName, hostNetwork, ports);
    }

    private static void addPorts(
            String id, String field, List<Container> containers, List<PodInfo.ContainerPort> out, Consumer<String> p) {
        if (containers == null) {
            return;
        }
        for (Container c : containers) {
            if (c.getPorts() == null) {
                continue;
            }
            for (var port : c.getPorts()) {
                if (port.getName() == null || port.getName().isEmpty() || port.getContainerPort() == null) {
                    continue;
                }
                try {
                    out.add(new PodInfo.ContainerPort(
                            port.getName(), Protocol.parse(port.getProtocol()), port.getContainerPort()));
                } catch (IllegalArgumentException e) {
                    p.accept(id + ": " + field + "[" + c.getName() + "].ports[" + port.getName() + "]: "
                            + e.getMessage() + " (left out)");
                }
            }
        }
    }

    public static NamespaceInfo namespace(Namespace ns) {
        Map<String, String> labels = ns.getMetadata().getLabels() == null
                ? Map.of()
                : ns.getMetadata().getLabels();
        return new NamespaceInfo(ns.getMetadata().getName(), labels);
    }
}
