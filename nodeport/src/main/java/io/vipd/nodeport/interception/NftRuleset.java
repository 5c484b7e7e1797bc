package io.vipd.nodeport.interception;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders vipd's nftables table {@code inet vipd} and the scripts that change it, as {@code nft -f} input.
 *
 * <p>The chains: {@code prerouting} (filter hook, mangle priority) drops LoadBalancer traffic from outside
 * the source ranges, rejects or drops new flows to frontends without usable endpoints, and sends the rest
 * to vipd's transparent listeners (IPv6 UDP: to each frontend's own socket) with TPROXY, marking it so policy
 * routing delivers it locally, and drops what TPROXY found no listener for (no vipd serving at that moment: the client retries);
 * {@code output} (route hook) marks the node's own traffic to frontends, so it is rerouted through
 * {@code lo} and meets the same prerouting rules. Reject in prerouting needs Linux 5.9 or later.
 * Stateless.
 */
public final class NftRuleset {
    public static final String TABLE = "inet vipd";
    /**
     * Packets for vipd's own transparent sockets (the backends' replies to transparent egress, addressed to
     * the client) go straight to them: marked for local delivery, before any TPROXY rule.
     */
    static final String SOCKET_RULE_MATCH = "meta l4proto { tcp, udp } socket transparent 1 ";

    /**
     * IPv6 UDP goes to a socket bound to the frontend itself ({@code [VIP]:port}, or {@code [node IP]:nodePort}),
     * not to the transparent listener: Netty reads only the IPv4 original destination
     * ({@code IP_ORIGDSTADDR}), so on the shared listener an IPv6 datagram's frontend is unknown. With the
     * packet's own destination as the TPROXY address and no port (the destination port stays), the kernel's
     * listener lookup ({@code nf_tproxy_get_sock_v6}) finds exactly that socket; without an address it would
     * look up the receiving interface's first address instead.
     */
    static final String IPV6_UDP_TARGET = "ip6 daddr";

    private NftRuleset() {}

    /**
     * A script that atomically replaces the whole table with this content: it creates the table if absent
     * (so the delete cannot fail), deletes it and declares it again, in one transaction. Packets see
     * either the old or the new table, never none. Used at start and to repair after a failed update.
     */
    public static String replace(InterceptionConfig config, Map<NftSet, Set<String>> elements) {
        return replace(config, elements, SctpForwarding.Rules.NONE);
    }

    /**
     * As {@link #replace(InterceptionConfig, Map)}, with the SCTP service ports' affinity sets and chains
     * ({@link SctpForwarding}; their map elements are in {@code elements}).
     */
    public static String replace(
            InterceptionConfig config, Map<NftSet, Set<String>> elements, SctpForwarding.Rules sctp) {
        StringBuilder b = new StringBuilder();
        b.append("table ").append(TABLE).append(" {}\n");
        b.append("delete table ").append(TABLE).append('\n');
        b.append(declaration(config, elements, sctp));
        return b.toString();
    }

    /** A script that removes the table if it exists and succeeds if it does not. */
    public static String delete() {
        return "table " + TABLE + " {}\ndelete table " + TABLE + "\n";
    }

    /** The table declaration with its sets, elements and chains. */
    public static String declaration(InterceptionConfig config, Map<NftSet, Set<String>> elements) {
        return declaration(config, elements, SctpForwarding.Rules.NONE);
    }

    /**
     * The table declaration with its sets, elements and chains, and the SCTP service ports' affinity sets and
     * chains (a chain after the sets it updates and the chains it jumps to, all before the maps that name them).
     */
    public static String declaration(
            InterceptionConfig config, Map<NftSet, Set<String>> elements, SctpForwarding.Rules sctp) {
        StringBuilder b = new StringBuilder();
        b.append("table ").append(TABLE).append(" {\n");
        b.append("\tcomment \"vipd node mode: Service interception. Remove with vipd cleanup.\"\n");
        sctp.sets()
                .forEach((name, declaration) -> b.append("\tset ")
                        .append(name)
                        .append(" { ")
                        .append(declaration)
                        .append(" }\n"));
        chain(b, SctpForwarding.MARK_FOR_MASQUERADE, null, List.of(markForMasquerade(config)));
        sctp.chains().forEach((name, rules) -> chain(b, name, null, rules));
        for (NftSet set : NftSet.values()) {
            b.append(set.map() ? "\tmap " : "\tset ").append(set.setName()).append(" {\n");
            b.append("\t\ttype ").append(set.type()).append('\n');
            if (set.interval()) {
                b.append("\t\tflags interval\n");
            }
            Set<String> els = elements.getOrDefault(set, Set.of());
            if (!els.isEmpty()) {
                b.append("\t\telements = { ").append(String.join(", ", els)).append(" }\n");
            }
            b.append("\t}\n");
        }
        b.append("\tchain prerouting {\n");
        b.append("\t\ttype filter hook prerouting priority mangle; policy accept;\n");
        for (String rule : preroutingRules(config)) {
            b.append("\t\t").append(rule).append('\n');
        }
        b.append("\t}\n");
        b.append("\tchain output {\n");
        b.append("\t\ttype route hook output priority mangle; policy accept;\n");
        for (String rule : outputRules(config)) {
            b.append("\t\t").append(rule).append('\n');
        }
        b.append("\t}\n");
        chain(b, "sctp-nat-prerouting", "type nat hook prerouting priority dstnat; policy accept;", sctpDnatRules());
        chain(b, "sctp-nat-output", "type nat hook output priority -100; policy accept;", sctpDnatRules());
        chain(
                b,
                "sctp-nat-postrouting",
                "type nat hook postrouting priority srcnat; policy accept;",
                List.of(masquerade(config)));
        b.append("}\n");
        return b.toString();
    }

    private static void chain(StringBuilder b, String name, String hook, List<String> rules) {
        b.append("\tchain ").append(name).append(" {\n");
        if (hook != null) {
            b.append("\t\t").append(hook).append('\n');
        }
        for (String rule : rules) {
            b.append("\t\t").append(rule).append('\n');
        }
        b.append("\t}\n");
    }

    /** New SCTP associations to a frontend go to its service port's chain ({@link SctpForwarding}). */
    static List<String> sctpDnatRules() {
        return List.of(
                "ip daddr . meta l4proto . th dport vmap @" + NftSet.SCTP_SERVICE_IPS_V4.setName(),
                "ip6 daddr . meta l4proto . th dport vmap @" + NftSet.SCTP_SERVICE_IPS_V6.setName(),
                "ip daddr @nodeport-ips-v4 meta l4proto . th dport vmap @" + NftSet.SCTP_NODEPORTS_V4.setName(),
                "ip6 daddr @nodeport-ips-v6 meta l4proto . th dport vmap @" + NftSet.SCTP_NODEPORTS_V6.setName());
    }

    private static String markForMasquerade(InterceptionConfig config) {
        return "meta mark set meta mark | " + String.format("0x%08x", config.masqueradeMark());
    }

    private static String masquerade(InterceptionConfig config) {
        int m = config.masqueradeMark();
        return "meta mark & " + String.format("0x%08x", m) + " != 0 meta mark set meta mark & "
                + String.format("0x%08x", ~m) + " masquerade fully-random";
    }

    /**
     * A script that replaces some SCTP service ports' sets and chains and changes elements, as one transaction:
     * the sets and chains they now have are created, the chains emptied and filled (so that new elements can name
     * them), then the elements change, then the chains and sets no longer used are deleted (nothing names them
     * any more).
     *
     * @param changed    every set and chain of the changed service ports
     * @param chainsGone chains of the changed service ports that are no longer used
     * @param setsGone   affinity sets of the changed service ports that are no longer used
     */
    public static String delta(
            Map<NftSet, Set<String>> additions,
            Map<NftSet, Set<String>> deletions,
            SctpForwarding.Rules changed,
            Set<String> chainsGone,
            Set<String> setsGone) {
        StringBuilder b = new StringBuilder();
        changed.sets().forEach((name, declaration) -> line(b, "add set", name + " { " + declaration + " }"));
        changed.chains().keySet().forEach(name -> line(b, "add chain", name));
        changed.chains().forEach((name, rules) -> {
            line(b, "flush chain", name);
            for (String rule : rules) {
                line(b, "add rule", name + " " + rule);
            }
        });
        b.append(delta(additions, deletions));
        // Emptied first: a chain jumping to another one deleted here would keep it referenced.
        chainsGone.forEach(name -> line(b, "flush chain", name));
        chainsGone.forEach(name -> line(b, "delete chain", name));
        setsGone.forEach(name -> line(b, "delete set", name));
        return b.toString();
    }

    private static void line(StringBuilder b, String command, String rest) {
        b.append(command).append(' ').append(TABLE).append(' ').append(rest).append('\n');
    }

    /**
     * A script that adds and deletes elements, as one transaction. Deletions come first so that an element
     * moving between sets never exists in both.
     */
    public static String delta(Map<NftSet, Set<String>> additions, Map<NftSet, Set<String>> deletions) {
        StringBuilder b = new StringBuilder();
        for (NftSet set : NftSet.values()) {
            Set<String> del = deletions.getOrDefault(set, Set.of());
            if (!del.isEmpty()) {
                b.append("delete element ")
                        .append(TABLE)
                        .append(' ')
                        .append(set.setName())
                        .append(" { ")
                        .append(String.join(", ", del.stream().map(set::key).toList()))
                        .append(" }\n");
            }
        }
        for (NftSet set : NftSet.values()) {
            Set<String> add = additions.getOrDefault(set, Set.of());
            if (!add.isEmpty()) {
                b.append("add element ")
                        .append(TABLE)
                        .append(' ')
                        .append(set.setName())
                        .append(" { ")
                        .append(String.join(", ", add))
                        .append(" }\n");
            }
        }
        return b.toString();
    }

    /** How many rules each of vipd's chains holds with this configuration. */
    static Map<String, Integer> ruleCounts(InterceptionConfig config) {
        return Map.of(
                "prerouting", preroutingRules(config).size(),
                "output", outputRules(config).size());
    }

    static List<String> preroutingRules(InterceptionConfig config) {
        String mark = "meta mark set meta mark | " + config.markHex();
        List<String> rules = new ArrayList<>();
        if (config.transparentEgress()) {
            rules.add(SOCKET_RULE_MATCH + mark + " accept");
        }
        for (String fam : new String[] {"v4", "v6"}) {
            String ip = fam.equals("v4") ? "ip" : "ip6";
            String key = ip + " daddr . meta l4proto . th dport";
            String notShortCircuit = "fib saddr type != local " + ip + " saddr != @cluster-cidrs-" + fam;
            rules.add("ct state new " + key + " @firewall-" + fam + " " + key + " . " + ip
                    + " saddr != @firewall-allow-" + fam + " drop");
            rules.add("ct state new " + key + " @no-endpoint-reject-" + fam + " reject");
            rules.add("ct state new " + key + " @no-local-endpoint-drop-" + fam + " drop");
            rules.add("ct state new " + key + " @no-local-endpoint-drop-external-" + fam + " " + notShortCircuit
                    + " drop");
            String nodePort = ip + " daddr @nodeport-ips-" + fam + " meta l4proto . th dport";
            rules.add("ct state new " + nodePort + " @no-endpoint-reject-nodeports reject");
            rules.add("ct state new " + nodePort + " @no-local-endpoint-drop-nodeports " + notShortCircuit + " drop");
            for (String proto : new String[] {"tcp", "udp"}) {
                int port = proto.equals("tcp") ? config.tcpPort() : config.udpPort();
                String target = fam.equals("v6") && proto.equals("udp") ? IPV6_UDP_TARGET : ":" + port;
                String tproxy = "meta l4proto " + proto + " tproxy " + ip + " to " + target + " " + mark + " accept";
                rules.add(key + " @frontends-" + fam + " " + tproxy);
                rules.add(nodePort + " @nodeports " + tproxy);
            }
            // A tproxy that finds no socket (vipd not started, restarting, or not yet serving) does not end
            // evaluation: drop here, so that the client retransmits its SYN or datagram until a vipd listens,
            // instead of the packet being routed on or refused.
            rules.add(key + " @frontends-" + fam + " drop");
            rules.add(nodePort + " @nodeports drop");
        }
        return rules;
    }

    static List<String> outputRules(InterceptionConfig config) {
        String mark = "meta mark set meta mark | " + config.markHex();
        return List.of(
                "ip daddr . meta l4proto . th dport @frontends-v4 " + mark,
                "ip6 daddr . meta l4proto . th dport @frontends-v6 " + mark);
    }
}
