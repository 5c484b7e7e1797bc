package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.vipd.lb.Addresses;
import io.vipd.lb.Algorithm;
import io.vipd.lb.Cidr;
import io.vipd.lb.EdgeOptions;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.Protocol;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServicePortName;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Service to its service ports, as kube-proxy's ServiceChangeTracker reads a Service. Pure and static.
 *
 * <p>Dual stack: vipd serves both families in one process, so a service port carries the clusterIPs of every
 * family the Service has; externalIPs, LoadBalancer IPs and source ranges are kept only for those families,
 * as each of kube-proxy's per-family proxiers keeps only its own.
 */
public final class ServiceConversions {
    public static final String ALGORITHM_ANNOTATION = "vipd.io/algorithm";
    public static final String PROXY_PROTOCOL_ANNOTATION = "vipd.io/proxy-protocol";
    public static final String SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
    public static final int DEFAULT_AFFINITY_SECONDS = 10800;
    public static final int MAX_AFFINITY_SECONDS = 86400;

    private ServiceConversions() {}

    /** kube-proxy's ShouldSkipService: headless, no clusterIP allocated, or ExternalName. */
    public static boolean shouldSkip(Service service) {
        ServiceSpec spec = service.getSpec();
        if (spec == null) {
            return true;
        }
        String ip = spec.getClusterIP();
        return ip == null || ip.isEmpty() || "None".equals(ip) || "ExternalName".equals(spec.getType());
    }

    /** The service's identity, or null when metadata lacks a namespace or name. */
    public static NamespacedName key(Service service) {
        ObjectMeta m = service.getMetadata();
        if (m == null || m.getName() == null || m.getName().isEmpty()) {
            return null;
        }
        String ns = m.getNamespace() == null || m.getNamespace().isEmpty() ? "default" : m.getNamespace();
        return NamespacedName.of(ns, m.getName());
    }

    /**
     * The service ports of a Service, keyed by name; empty when the Service is skipped (headless,
     * ExternalName, owned by another proxy) or unusable. Bad fields are reported to {@code skips} and left out.
     */
    public static Map<ServicePortName, ServicePortInfo> servicePorts(Service service, Skips skips) {
        NamespacedName svc = key(service);
        if (svc == null) {
            skips.skipped(SkipReason.MISSING_METADATA, "Service", "no metadata.name");
            return Map.of();
        }
        Map<String, String> labels = service.getMetadata().getLabels();
        if (labels != null && labels.containsKey(SERVICE_PROXY_NAME_LABEL)) {
            return Map.of();
        }
        if (shouldSkip(service)) {
            return Map.of();
        }
        String object = "Service " + svc;
        ServiceSpec spec = service.getSpec();
        List<InetAddress> clusterIPs = new ArrayList<>();
        List<String> rawIPs =
                spec.getClusterIPs() == null || spec.getClusterIPs().isEmpty()
                        ? List.of(spec.getClusterIP())
                        : spec.getClusterIPs();
        for (String raw : rawIPs) {
            InetAddress ip = parseIp(raw, object + " spec.clusterIPs", skips);
            if (ip != null && clusterIPs.stream().noneMatch(c -> c.getAddress().length == ip.getAddress().length)) {
                clusterIPs.add(ip);
            }
        }
        if (clusterIPs.isEmpty()) {
            return Map.of();
        }
        Set<Integer> families = new java.util.HashSet<>();
        clusterIPs.forEach(ip -> families.add(ip.getAddress().length));

        List<InetAddress> externalIPs = new ArrayList<>();
        if (spec.getExternalIPs() != null) {
            for (String raw : spec.getExternalIPs()) {
                InetAddress ip = parseIp(raw, object + " spec.externalIPs", skips);
                if (ip != null && families.contains(ip.getAddress().length) && !externalIPs.contains(ip)) {
                    externalIPs.add(ip);
                }
            }
        }
        List<InetAddress> lbIPs = new ArrayList<>();
        if (service.getStatus() != null
                && service.getStatus().getLoadBalancer() != null
                && service.getStatus().getLoadBalancer().getIngress() != null) {
            for (LoadBalancerIngress ing : service.getStatus().getLoadBalancer().getIngress()) {
                // Hostname-only entries are not captured; ipMode Proxy means the LB delivers to the node itself.
                if (ing.getIp() == null
                        || ing.getIp().isEmpty()
                        || !(ing.getIpMode() == null || "VIP".equals(ing.getIpMode()))) {
                    continue;
                }
                InetAddress ip = parseIp(ing.getIp(), object + " status.loadBalancer.ingress[].ip", skips);
                if (ip != null && families.contains(ip.getAddress().length) && !lbIPs.contains(ip)) {
                    lbIPs.add(ip);
                }
            }
        }
        List<Cidr> sourceRanges = new ArrayList<>();
        if (spec.getLoadBalancerSourceRanges() != null) {
            for (String raw : spec.getLoadBalancerSourceRanges()) {
                try {
                    Cidr c = Cidr.parse(raw == null ? "" : raw.trim());
                    if (families.contains(c.network().getAddress().length)) {
                        sourceRanges.add(c);
                    }
                } catch (IllegalArgumentException e) {
                    skips.skipped(
                            SkipReason.BAD_SERVICE_FIELD, object + " spec.loadBalancerSourceRanges", e.getMessage());
                }
            }
        }
        int affinity = affinitySeconds(spec, object, skips);
        boolean typeExternal =
                "NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType()) || !externalIPs.isEmpty();
        boolean externalLocal = typeExternal && "Local".equals(spec.getExternalTrafficPolicy());
        boolean internalLocal = "Local".equals(spec.getInternalTrafficPolicy());
        int healthCheckNodePort =
                "LoadBalancer".equals(spec.getType()) && externalLocal && spec.getHealthCheckNodePort() != null
                        ? spec.getHealthCheckNodePort()
                        : 0;
        boolean publishNotReady = Boolean.TRUE.equals(spec.getPublishNotReadyAddresses());
        Map<String, String> annotations = service.getMetadata().getAnnotations();
        Algorithm algorithm = Algorithm.MAGLEV;
        ProxyProtocol proxyProtocol = ProxyProtocol.NONE;
        if (annotations != null) {
            try {
                algorithm = Algorithm.parse(annotations.get(ALGORITHM_ANNOTATION));
            } catch (IllegalArgumentException e) {
                skips.skipped(
                        SkipReason.BAD_SERVICE_FIELD,
                        object + " annotation " + ALGORITHM_ANNOTATION,
                        e.getMessage() + "; using maglev");
            }
            try {
                proxyProtocol = ProxyProtocol.parse(annotations.get(PROXY_PROTOCOL_ANNOTATION));
            } catch (IllegalArgumentException e) {
                skips.skipped(
                        SkipReason.BAD_SERVICE_FIELD,
                        object + " annotation " + PROXY_PROTOCOL_ANNOTATION,
                        e.getMessage() + "; sending none");
            }
        }

        EdgeOptions edge = EdgeAnnotations.read(annotations, object, skips);

        Map<ServicePortName, ServicePortInfo> ports = new LinkedHashMap<>();
        if (spec.getPorts() == null) {
            return ports;
        }
        for (ServicePort p : spec.getPorts()) {
            String portName = p.getName() == null ? "" : p.getName();
            Protocol protocol;
            try {
                protocol = Protocol.parse(p.getProtocol());
            } catch (IllegalArgumentException e) {
                skips.skipped(SkipReason.BAD_PROTOCOL, object + " port " + portName, e.getMessage());
                continue;
            }
            if (p.getPort() == null || p.getPort() < 1 || p.getPort() > 65535) {
                skips.skipped(SkipReason.PORT_WITHOUT_NUMBER, object + " port " + portName, "port " + p.getPort());
                continue;
            }
            int nodePort = p.getNodePort() == null ? 0 : p.getNodePort();
            if (nodePort < 0 || nodePort > 65535) {
                skips.skipped(SkipReason.BAD_SERVICE_FIELD, object + " port " + portName, "nodePort " + nodePort);
                nodePort = 0;
            }
            ServicePortName name = new ServicePortName(svc, portName, protocol);
            ports.put(
                    name,
                    new ServicePortInfo(
                            name,
                            p.getPort(),
                            clusterIPs,
                            nodePort,
                            externalIPs,
                            lbIPs,
                            sourceRanges,
                            affinity,
                            internalLocal,
                            externalLocal,
                            healthCheckNodePort,
                            publishNotReady,
                            algorithm,
                            proxyProtocol,
                            protocol == Protocol.TCP ? edge : EdgeOptions.NONE));
        }
        return ports;
    }

    private static int affinitySeconds(ServiceSpec spec, String object, Skips skips) {
        if (!"ClientIP".equals(spec.getSessionAffinity())) {
            return 0;
        }
        Integer t = spec.getSessionAffinityConfig() == null
                        || spec.getSessionAffinityConfig().getClientIP() == null
                ? null
                : spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds();
        if (t == null) {
            return DEFAULT_AFFINITY_SECONDS;
        }
        if (t < 1 || t > MAX_AFFINITY_SECONDS) {
            skips.skipped(
                    SkipReason.BAD_SERVICE_FIELD,
                    object + " sessionAffinityConfig.clientIP.timeoutSeconds",
                    t + " outside 1.." + MAX_AFFINITY_SECONDS + "; using " + DEFAULT_AFFINITY_SECONDS);
            return DEFAULT_AFFINITY_SECONDS;
        }
        return t;
    }

    private static InetAddress parseIp(String raw, String where, Skips skips) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return Addresses.parseIp(raw);
        } catch (IllegalArgumentException e) {
            skips.skipped(SkipReason.BAD_ADDRESS, where, e.getMessage());
            return null;
        }
    }
}
