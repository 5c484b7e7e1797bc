package io.vipd.nodeport.interception;

import static io.vipd.nodeport.interception.SctpForwardingTest.POD_A;
import static io.vipd.nodeport.interception.SctpForwardingTest.assoc;
import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.Addresses;
import io.vipd.lb.Cidr;
import io.vipd.lb.ServiceTable;
import io.vipd.nodeport.NetNs;
import io.vipd.testing.Requires;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * SCTP through vipd's real nftables table in namespaces: a node (the table and policy routing), a pod that is
 * the endpoint, a client pod and an external host. This machine's kernel may have no SCTP sockets, so the test
 * sends a hand-made SCTP INIT as a raw IP packet (socat IP4-SENDTO, protocol 132) and checks what the kernel
 * did with it: conntrack's entry on the node (DNATed to the endpoint, masqueraded or not) and a counter in the
 * pod (the packet arrived at the target port). Needs root, nft, socat and conntrack.
 */
class SctpDnatInNamespaceTest {
    private static final InterceptionConfig CONFIG = InterceptionConfig.defaults(
            List.of(Cidr.parse("198.18.128.0/17")), List.of(Addresses.parseIp("198.18.64.1")));

    @Test
    @Requires(
            root = true,
            commands = {"ip", "nft", "socat", "conntrack"})
    void associationsAreDnatedToTheEndpointAndExternalOnesMasqueraded() throws Exception {
        List<NetNs> all = new ArrayList<>();
        try {
            NetNs node = track(all, NetNs.create("sn"));
            NetNs pod = track(all, NetNs.create("sp"));
            NetNs client = track(all, NetNs.create("sc"));
            NetNs ext = track(all, NetNs.create("se"));
            node.run("sysctl", "-qw", "net.ipv4.ip_forward=1");
            link(node, pod, "198.18.129", "p");
            link(node, client, "198.18.131", "c");
            link(node, ext, "198.18.64", "e");
            ext.run("ip", "route", "add", "198.19.0.0/16", "via", "198.18.64.1");
            pod.runner()
                    .run(
                            List.of("nft", "-f", "-"),
                            "table ip count {\n chain in {\n  type filter hook input priority 0; policy accept;\n"
                                    + "  meta l4proto sctp th dport 9998 counter\n }\n}\n");

            ServiceTable table = new ServiceTable();
            table.apply(List.of(assoc(false, POD_A)), List.of());
            Interception interception = new Interception(node.runner(), CONFIG);
            table.addListener(interception);
            interception.start();
            interception.syncAll(table);

            // From a pod to the ClusterIP: DNAT to the endpoint, the pod's address kept.
            sendInit(client, "198.19.0.60", 40000, 9999);
            assertThat(conntrack(node))
                    .contains("src=198.18.131.2 dst=198.19.0.60 sport=40000 dport=9999")
                    .contains("src=198.18.129.2 dst=198.18.131.2 sport=9998 dport=40000");
            // From outside to the NodePort: DNAT and masquerade (the reply comes back to the node).
            sendInit(ext, "198.18.64.1", 40001, 30300);
            assertThat(conntrack(node))
                    .contains("src=198.18.64.2 dst=198.18.64.1 sport=40001 dport=30300")
                    .containsPattern("src=198.18.129.2 dst=198.18.129.1 sport=9998 dport=\\d+");
            assertThat(pod.run("nft", "list", "table", "ip", "count")).contains("packets 2");

            // The endpoint leaves: the port has none, so new associations are rejected, and its chains go.
            table.apply(List.of(assoc(false)), List.of());
            assertThat(node.run("nft", "list", "set", "inet", "vipd", "no-endpoint-reject-v4"))
                    .contains("198.19.0.60 . sctp . 9999");
            assertThat(node.run("nft", "list", "table", "inet", "vipd"))
                    .doesNotContain(SctpForwarding.chainPrefix(assoc(false), false), "dnat");
            sendInit(client, "198.19.0.60", 40002, 9999);
            assertThat(pod.run("nft", "list", "table", "ip", "count")).contains("packets 2");
        } finally {
            for (NetNs n : all) {
                n.close();
            }
        }
    }

    @Test
    @Requires(
            root = true,
            commands = {"ip", "nft", "socat", "conntrack"})
    void clientIpAffinityRemembersTheClientAndATimeoutChangeReplacesTheSets() throws Exception {
        List<NetNs> all = new ArrayList<>();
        try {
            NetNs node = track(all, NetNs.create("sn"));
            NetNs pod = track(all, NetNs.create("sp"));
            NetNs client = track(all, NetNs.create("sc"));
            node.run("sysctl", "-qw", "net.ipv4.ip_forward=1");
            link(node, pod, "198.18.129", "p");
            link(node, client, "198.18.131", "c");
            ServiceTable table = new ServiceTable();
            table.apply(List.of(sticky(600)), List.of());
            Interception interception = new Interception(node.runner(), CONFIG);
            table.addListener(interception);
            interception.start();
            interception.syncAll(table);
            String prefix = SctpForwarding.chainPrefix(sticky(600), false);
            String set600 = prefix + "affinity-" + SctpForwarding.hash(POD_A.key()) + "-600";

            sendInit(client, "198.19.0.60", 40010, 9999);
            assertThat(node.run("nft", "list", "set", "inet", "vipd", set600)).contains("198.18.131.2");

            table.apply(List.of(sticky(60)), List.of());
            String set60 = prefix + "affinity-" + SctpForwarding.hash(POD_A.key()) + "-60";
            String listed = node.run("nft", "list", "table", "inet", "vipd");
            assertThat(listed).contains("set " + set60).doesNotContain(set600);
        } finally {
            for (NetNs n : all) {
                n.close();
            }
        }
    }

    private static io.vipd.lb.ServicePortEntry sticky(int timeoutSeconds) {
        return assoc(false, POD_A).toBuilder()
                .affinityTimeoutSeconds(timeoutSeconds)
                .build();
    }

    private static NetNs track(List<NetNs> all, NetNs n) {
        all.add(n);
        return n;
    }

    private static void link(NetNs node, NetNs other, String prefix, String tag) throws IOException {
        String a = "sn" + tag + other.name().substring(other.name().length() - 6);
        String b = "so" + tag + other.name().substring(other.name().length() - 6);
        node.run("ip", "link", "add", a, "type", "veth", "peer", "name", b, "netns", other.name());
        node.run("ip", "addr", "add", prefix + ".1/24", "dev", a);
        node.run("ip", "link", "set", a, "up");
        other.run("ip", "addr", "add", prefix + ".2/24", "dev", b);
        other.run("ip", "link", "set", b, "up");
        other.run("ip", "route", "add", "default", "via", prefix + ".1");
    }

    private static String conntrack(NetNs node) throws IOException {
        return node.run("conntrack", "-L", "-p", "sctp");
    }

    /** Sends one SCTP INIT chunk (RFC 9260 §3.3.2) with a valid CRC32c, which conntrack checks. */
    private static void sendInit(NetNs from, String ip, int sourcePort, int port) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.BIG_ENDIAN);
        b.putShort((short) sourcePort).putShort((short) port).putInt(0).putInt(0); // verification tag 0, checksum
        b.put((byte) 1).put((byte) 0).putShort((short) 20); // INIT, flags, length
        b.putInt(0x11223344)
                .putInt(65536)
                .putShort((short) 1)
                .putShort((short) 1)
                .putInt(0x55667788);
        byte[] packet = b.array();
        CRC32C crc = new CRC32C();
        crc.update(packet);
        ByteBuffer.wrap(packet, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
        Process p = new ProcessBuilder(
                        "ip", "netns", "exec", from.name(), "socat", "-u", "-", "IP4-SENDTO:" + ip + ":132")
                .redirectErrorStream(true)
                .start();
        try (OutputStream out = p.getOutputStream()) {
            out.write(packet);
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("socat did not finish sending");
        }
        assertThat(p.exitValue())
                .as(new String(p.getInputStream().readAllBytes()))
                .isZero();
    }
}
