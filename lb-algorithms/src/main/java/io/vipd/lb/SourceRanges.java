package io.vipd.lb;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * loadBalancerSourceRanges as kube-proxy applies them: per IP family, so a family without a range of its own
 * lets everyone in, as kube-proxy's proxier of that family does. Stateless.
 */
final class SourceRanges {
    private SourceRanges() {}

    static boolean allow(List<Cidr> ranges, InetAddress client) {
        if (ranges.isEmpty()) {
            return true;
        }
        boolean clientV4 = client instanceof Inet4Address;
        boolean familyHasRanges = false;
        for (Cidr c : ranges) {
            if (c.isIpv4() != clientV4) {
                continue;
            }
            familyHasRanges = true;
            if (c.contains(client)) {
                return true;
            }
        }
        return !familyHasRanges;
    }
}
