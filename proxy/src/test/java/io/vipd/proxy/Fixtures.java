package io.vipd.proxy;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Shared helpers for the proxy tests. */
final class Fixtures {
    private Fixtures() {}

    static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A TCP port free on {@code ip} now. */
    static int freeTcpPort(String ip) {
        try (ServerSocket s = new ServerSocket(0, 1, ip(ip))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A UDP port free on {@code ip} now. */
    static int freeUdpPort(String ip) {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(ip(ip), 0))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Frontend tcpFrontend(String ip) {
        return new Frontend(ip(ip), freeTcpPort(ip), Protocol.TCP);
    }

    static Frontend udpFrontend(String ip) {
        return new Frontend(ip(ip), freeUdpPort(ip), Protocol.UDP);
    }

    static ServicePortName name(String svc, Protocol protocol) {
        return ServicePortName.of("default", svc, "p", protocol);
    }

    static BackendSet backends(InetSocketAddress... addresses) {
        List<Backend> list = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            list.add(Backend.of(a, 1));
        }
        return BackendSet.of(list);
    }

    /** A ClusterIP-style entry with these backends. */
    static ServicePortEntry.Builder entry(String svc, Frontend frontend, BackendSet backends) {
        return ServicePortEntry.builder(name(svc, frontend.protocol()))
                .frontends(List.of(new ServiceFrontend(frontend, FrontendType.CLUSTER_IP)))
                .backends(backends);
    }

    static InetSocketAddress address(Frontend f) {
        return new InetSocketAddress(f.address(), f.port());
    }
}
