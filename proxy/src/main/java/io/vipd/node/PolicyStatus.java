package io.vipd.node;

import io.vipd.lb.Addresses;
import io.vipd.lb.Protocol;
import io.vipd.netpol.ClientEgress;
import io.vipd.netpol.NodeEgressFilter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NetworkPolicy in the {@code /services} model ({@code vipd services}): whether the policies are synced, which
 * local pods a policy restricts, and on each backend the restricted clients that may not reach it (the data
 * plane never picks it for their flows). Built on request from the current filter, off the connection path.
 */
final class PolicyStatus {
    private PolicyStatus() {}

    /** Adds {@code networkPolicy} and, per backend, {@code policyExcludes}; {@code filter} null: not synced yet. */
    @SuppressWarnings("unchecked")
    static void annotate(Map<String, Object> model, NodeEgressFilter filter) {
        Map<String, Object> np = new LinkedHashMap<>();
        np.put("synced", filter != null);
        List<ClientEgress> clients = filter == null ? List.of() : filter.restrictedClients();
        np.put(
                "restrictedClients",
                clients.stream().map(c -> c.client().toString()).toList());
        model.put("networkPolicy", np);
        if (clients.isEmpty() || !(model.get("services") instanceof List<?> services)) {
            return;
        }
        for (Object so : services) {
            Map<String, Object> s = (Map<String, Object>) so;
            Protocol protocol = Protocol.parse(String.valueOf(s.get("protocol")));
            for (Object bo : (List<Object>) s.getOrDefault("backends", List.of())) {
                Map<String, Object> b = (Map<String, Object>) bo;
                InetSocketAddress backend = Addresses.parseIpPort(String.valueOf(b.get("address")));
                List<String> excluded = new ArrayList<>();
                for (ClientEgress c : clients) {
                    if (!c.allows(backend.getAddress(), protocol, backend.getPort())) {
                        excluded.add(c.client().toString());
                    }
                }
                if (!excluded.isEmpty()) {
                    b.put("policyExcludes", excluded);
                }
            }
        }
    }
}
