package io.vipd.watcher;

import io.vipd.lb.Backend;
import io.vipd.lb.Cidr;
import java.util.List;

/**
 * Everything one ServicePortEntry is built from. A value: when a sync computes an input equal to the last
 * one, the previous entry (with its pickers and Maglev tables) is kept as it is.
 *
 * @param info           the service half
 * @param endpoints      the merged, de-duplicated endpoints of every slice of the service, sorted by ip:port
 * @param nodeName       this node
 * @param zone           this node's zone
 * @param preferSameNode the PreferSameTrafficDistribution gate
 * @param sourceRanges   the effective loadBalancerSourceRanges (with the LB VIPs added on node hairpin)
 */
record PortInput(
        ServicePortInfo info,
        List<Backend> endpoints,
        String nodeName,
        String zone,
        boolean preferSameNode,
        List<Cidr> sourceRanges) {}
