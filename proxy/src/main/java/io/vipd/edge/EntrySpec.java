package io.vipd.edge;

import io.vipd.lb.Algorithm;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Cidr;
import io.vipd.lb.EdgeOptions;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.util.List;

/**
 * Everything that defines a {@link ServicePortEntry}, as a value: two entries with equal specs forward
 * the same way, so a reload leaves such a service port untouched.
 */
record EntrySpec(
        List<ServiceFrontend> frontends,
        Algorithm algorithm,
        int affinityTimeoutSeconds,
        ProxyProtocol proxyProtocol,
        List<Cidr> sourceRanges,
        int healthCheckNodePort,
        boolean internalPolicyLocal,
        boolean externalPolicyLocal,
        BackendSet endpoints,
        BackendSet clusterEndpoints,
        BackendSet localEndpoints,
        boolean hasAnyEndpoints,
        EdgeOptions edge) {
    static EntrySpec of(ServicePortEntry e) {
        return new EntrySpec(
                e.frontends(),
                e.algorithm(),
                e.affinityTimeoutSeconds(),
                e.proxyProtocol(),
                e.sourceRanges(),
                e.healthCheckNodePort(),
                e.internalPolicyLocal(),
                e.externalPolicyLocal(),
                e.endpoints(),
                e.clusterEndpoints(),
                e.localEndpoints(),
                e.hasAnyEndpoints(),
                e.edge());
    }
}
