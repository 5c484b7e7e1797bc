package io.vipd.nodeport.interception;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.util.List;

/**
 * Whether this kernel and process can give backends the client's address: an IP_TRANSPARENT socket (native
 * epoll, CAP_NET_ADMIN) and the nftables {@code socket} expression, checked with {@code nft -c} (the kernel
 * validates the rule, nothing is committed). Stateless.
 */
public final class SourceIpSupport {
    private static final String PROBE_TABLE = "table inet vipd-probe {\n"
            + "\tchain probe {\n"
            + "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
            + "\t\t" + NftRuleset.SOCKET_RULE_MATCH + "meta mark set meta mark | 0x1 accept\n"
            + "\t}\n"
            + "}\n";

    private SourceIpSupport() {}

    /** Why transparent egress cannot be used here, or null when it can. */
    public static String unsupportedReason(CommandRunner runner) {
        if (!Epoll.isAvailable()) {
            return "native epoll is not available";
        }
        try {
            EpollSocketChannel ch = new EpollSocketChannel();
            try {
                ch.config().setOption(EpollChannelOption.IP_TRANSPARENT, true);
            } finally {
                ch.unsafe().closeForcibly();
            }
        } catch (RuntimeException e) {
            return "cannot set IP_TRANSPARENT (needs CAP_NET_ADMIN): " + e.getMessage();
        }
        try {
            CommandRunner.Result r = runner.run(List.of("nft", "-c", "-f", "-"), PROBE_TABLE);
            if (!r.ok()) {
                return "the nftables socket expression is not available: "
                        + r.stderr().trim();
            }
        } catch (IOException e) {
            return "cannot run nft: " + e.getMessage();
        }
        return null;
    }
}
