package io.vipd.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.vipd.lb.Addresses;
import io.vipd.nodeport.NodeAddresses.InterfaceAddress;
import io.vipd.nodeport.NodePortAddresses;
import io.vipd.watcher.NodeInfo;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeAddressSelectionTest {
    private static final List<InterfaceAddress> INTERFACES = List.of(
            new InterfaceAddress("lo", ip("127.0.0.1")),
            new InterfaceAddress("eth0", ip("198.18.0.10")),
            new InterfaceAddress("eth1", ip("198.18.1.10")),
            new InterfaceAddress("eth1", ip("2001:2::10")));
    private static final List<InetAddress> ROUTE_PRIMARIES = List.of(ip("198.18.0.10"), ip("2001:2::10"));

    @Test
    void primaryIsTheNodeObjectsInternalIpOfEachFamily() {
        Node node = node("ExternalIP", "198.18.0.10", "InternalIP", "198.18.1.10");
        NodeAddressSelection s = NodeAddressSelection.of(primary(), NodeInfo.of(node), INTERFACES, ROUTE_PRIMARIES);
        // No IPv6 address on the Node object: that family keeps the default route's.
        assertThat(s.nodePort()).containsExactly(ip("198.18.1.10"), ip("2001:2::10"));
        assertThat(s.local()).contains(ip("127.0.0.1"), ip("198.18.0.10"), ip("198.18.1.10"));
    }

    @Test
    void anExternalIpIsPrimaryWhenTheFamilyHasNoInternalIp() {
        Node node = node("ExternalIP", "198.18.1.10", "InternalIP", "2001:2::10");
        NodeAddressSelection s = NodeAddressSelection.of(primary(), NodeInfo.of(node), INTERFACES, List.of());
        assertThat(s.nodePort()).containsExactly(ip("198.18.1.10"), ip("2001:2::10"));
    }

    @Test
    void beforeTheNodeIsSeenTheDefaultRouteDecides() {
        NodeAddressSelection s = NodeAddressSelection.of(primary(), null, INTERFACES, ROUTE_PRIMARIES);
        assertThat(s.nodePort()).containsExactly(ip("198.18.0.10"), ip("2001:2::10"));
        NodeAddressSelection unknown =
                NodeAddressSelection.of(primary(), NodeInfo.unknown("n1"), INTERFACES, ROUTE_PRIMARIES);
        assertThat(unknown).isEqualTo(s);
    }

    @Test
    void cidrsSelectLocalAddressesWhateverTheNodeObjectSays() {
        Node node = node("InternalIP", "198.18.1.10");
        NodeAddressSelection s = NodeAddressSelection.of(
                NodePortAddresses.parse(List.of("198.18.0.0/24")), NodeInfo.of(node), INTERFACES, ROUTE_PRIMARIES);
        assertThat(s.nodePort()).containsExactly(ip("198.18.0.10"));
    }

    private static NodePortAddresses primary() {
        return NodePortAddresses.parse(List.of("primary"));
    }

    private static Node node(String... typeAndAddress) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName("n1").endMetadata();
        var status = b.withNewStatus();
        for (int i = 0; i < typeAndAddress.length; i += 2) {
            status.addNewAddress()
                    .withType(typeAndAddress[i])
                    .withAddress(typeAndAddress[i + 1])
                    .endAddress();
        }
        return status.endStatus().build();
    }

    private static InetAddress ip(String s) {
        return Addresses.parseIp(s);
    }
}
