package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.vipd.lb.Addresses;
import io.vipd.lb.NamespacedName;
import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** EndpointSlice to {@link EndpointSliceInfo}, as kube-proxy's EndpointSliceCache reads a slice. Pure and static. */
public final class EndpointSliceConversions {
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    public static final String HEADLESS_LABEL = "service.kubernetes.io/headless";
    public static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";

    private EndpointSliceConversions() {}

    /** The slice's namespace and name, or null when metadata lacks them. */
    public static NamespacedName sliceKey(EndpointSlice slice) {
        ObjectMeta m = slice.getMetadata();
        if (m == null || m.getName() == null || m.getName().isEmpty()) {
            return null;
        }
        String ns = m.getNamespace() == null || m.getNamespace().isEmpty() ? "default" : m.getNamespace();
        return NamespacedName.of(ns, m.getName());
    }

    /** The service a slice belongs to (label {@value #SERVICE_NAME_LABEL}), or null. */
    public static NamespacedName serviceKey(EndpointSlice slice) {
        NamespacedName key = sliceKey(slice);
        Map<String, String> labels =
                slice.getMetadata() == null ? null : slice.getMetadata().getLabels();
        String svc = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        if (key == null || svc == null || svc.isEmpty()) {
            return null;
        }
        return NamespacedName.of(key.namespace(), svc);
    }

    /** Whether the slice belongs to a headless service or another proxy: treated as absent. */
    public static boolean excluded(EndpointSlice slice) {
        Map<String, String> labels =
                slice.getMetadata() == null ? null : slice.getMetadata().getLabels();
        return labels != null
                && (labels.containsKey(HEADLESS_LABEL)
                        || labels.containsKey(ServiceConversions.SERVICE_PROXY_NAME_LABEL));
    }

    /**
     * The projection, or null when the whole slice is skipped (no service label, FQDN, headless or owned by
     * another proxy). Bad ports and endpoints are reported to {@code skips} and left out.
     */
    public static EndpointSliceInfo convert(EndpointSlice slice, Skips skips) {
        NamespacedName key = sliceKey(slice);
        if (key == null) {
            skips.skipped(SkipReason.MISSING_METADATA, "EndpointSlice", "no metadata.name");
            return null;
        }
        String object = "EndpointSlice " + key;
        if (excluded(slice)) {
            return null;
        }
        NamespacedName service = serviceKey(slice);
        if (service == null) {
            skips.skipped(SkipReason.SLICE_WITHOUT_SERVICE_LABEL, object, "no label " + SERVICE_NAME_LABEL);
            return null;
        }
        String type = slice.getAddressType();
        if ("FQDN".equals(type)) {
            skips.skipped(SkipReason.FQDN_SLICE, object, "addressType FQDN is not proxied");
            return null;
        }
        if (!"IPv4".equals(type) && !"IPv6".equals(type)) {
            skips.skipped(SkipReason.UNKNOWN_ADDRESS_TYPE, object, "addressType " + type);
            return null;
        }
        List<EndpointSliceInfo.Port> ports = new ArrayList<>();
        if (slice.getPorts() != null) {
            for (EndpointPort p : slice.getPorts()) {
                if (p.getName() == null) {
                    skips.skipped(SkipReason.PORT_WITHOUT_NAME, object, "port " + p.getPort() + " has a nil name");
                    continue;
                }
                if (p.getPort() == null || p.getPort() == 0) {
                    skips.skipped(SkipReason.PORT_WITHOUT_NUMBER, object, "port \"" + p.getName() + "\"");
                    continue;
                }
                if (p.getPort() < 0 || p.getPort() > 65535) {
                    skips.skipped(
                            SkipReason.PORT_WITHOUT_NUMBER, object, "port \"" + p.getName() + "\" is " + p.getPort());
                    continue;
                }
                Protocol protocol;
                try {
                    protocol = Protocol.parse(p.getProtocol());
                } catch (IllegalArgumentException e) {
                    skips.skipped(SkipReason.BAD_PROTOCOL, object, e.getMessage());
                    continue;
                }
                ports.add(new EndpointSliceInfo.Port(p.getName(), protocol, p.getPort()));
            }
        }
        int wantLength = "IPv4".equals(type) ? 4 : 16;
        List<EndpointInfo> endpoints = new ArrayList<>();
        if (slice.getEndpoints() != null) {
            for (Endpoint e : slice.getEndpoints()) {
                if (e.getAddresses() == null || e.getAddresses().isEmpty()) {
                    skips.skipped(SkipReason.ENDPOINT_WITHOUT_ADDRESS, object, "an endpoint has no addresses");
                    continue;
                }
                InetAddress ip;
                try {
                    ip = Addresses.parseIp(e.getAddresses().get(0));
                } catch (IllegalArgumentException | NullPointerException ex) {
                    skips.skipped(
                            SkipReason.BAD_ADDRESS,
                            object,
                            "address \"" + e.getAddresses().get(0) + "\"");
                    continue;
                }
                if (ip.getAddress().length != wantLength) {
                    skips.skipped(
                            SkipReason.BAD_ADDRESS,
                            object,
                            "address " + Addresses.ipString(ip) + " in a slice of addressType " + type);
                    continue;
                }
                endpoints.add(endpoint(ip, e));
            }
        }
        return new EndpointSliceInfo(service, key.name(), ports, endpoints);
    }

    private static EndpointInfo endpoint(InetAddress ip, Endpoint e) {
        EndpointConditions c = e.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null || c.getServing();
        boolean terminating = c != null && c.getTerminating() != null && c.getTerminating();
        Set<String> zoneHints = new HashSet<>();
        Set<String> nodeHints = new HashSet<>();
        if (e.getHints() != null) {
            if (e.getHints().getForZones() != null) {
                for (ForZone z : e.getHints().getForZones()) {
                    if (z.getName() != null) {
                        zoneHints.add(z.getName());
                    }
                }
            }
            if (e.getHints().getForNodes() != null) {
                for (ForNode n : e.getHints().getForNodes()) {
                    if (n.getName() != null) {
                        nodeHints.add(n.getName());
                    }
                }
            }
        }
        return new EndpointInfo(ip, ready, serving, terminating, e.getNodeName(), e.getZone(), zoneHints, nodeHints);
    }

    /** The slice's {@value #TRIGGER_TIME_ANNOTATION}, or null when absent or unparsable. */
    public static Instant triggerTime(EndpointSlice slice) {
        Map<String, String> a =
                slice.getMetadata() == null ? null : slice.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(TRIGGER_TIME_ANNOTATION);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            try {
                return java.time.OffsetDateTime.parse(v).toInstant();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }
}
