package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.ip;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.vipd.lb.EdgeOptions;
import io.vipd.lb.Frontend;
import io.vipd.lb.ProxyProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * acceptProxyProtocol: the client's address comes from the PROXY header an upstream balancer sends, and is the
 * one the backend's PROXY header, affinity and hashing use; a connection without a valid header is closed.
 */
class AcceptProxyProtocolTest extends ProxyTestBase {
    private static final EdgeOptions ACCEPT = new EdgeOptions(0, 0, true, List.of());

    /** The header an upstream balancer sends for {@code client} connecting to {@code frontend}. */
    private static byte[] header(ProxyProtocol version, InetSocketAddress client, InetSocketAddress frontend) {
        ByteBuf b = ProxyProtocolHeader.encode(version, client, frontend, UnpooledByteBufAllocator.DEFAULT);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = ProxyProtocol.class,
            names = {"V1", "V2"})
    void theHeadersClientIsTheOneTheBackendSees(ProxyProtocol upstream) throws Exception {
        CompletableFuture<byte[]> received = new CompletableFuture<>();
        TcpBackend b = backend(new TcpBackend(
                "127.0.0.2", 0, s -> received.complete(s.getInputStream().readAllBytes())));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("behind-nlb", f, backends(b.address()))
                        .proxyProtocol(ProxyProtocol.V2)
                        .edge(ACCEPT)
                        .build());

        InetSocketAddress realClient = new InetSocketAddress(ip("198.51.100.7"), 40000);
        InetSocketAddress original = new InetSocketAddress(ip("203.0.113.1"), 443);
        try (Socket s = connect(f)) {
            // Header and first bytes in one write, as a balancer forwarding a client that speaks first would.
            byte[] h = header(upstream, realClient, original);
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            byte[] both = new byte[h.length + hello.length];
            System.arraycopy(h, 0, both, 0, h.length);
            System.arraycopy(hello, 0, both, h.length, hello.length);
            s.getOutputStream().write(both);
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
        }

        EmbeddedChannel decoder = new EmbeddedChannel(new HAProxyMessageDecoder());
        decoder.writeInbound(Unpooled.wrappedBuffer(received.get(5, TimeUnit.SECONDS)));
        HAProxyMessage sent = decoder.readInbound();
        try {
            assertThat(sent.sourceAddress()).isEqualTo("198.51.100.7");
            assertThat(sent.sourcePort()).isEqualTo(40000);
            assertThat(sent.destinationAddress()).isEqualTo("203.0.113.1");
            assertThat(sent.destinationPort()).isEqualTo(443);
        } finally {
            sent.release();
        }
        ByteBuf rest = decoder.readInbound();
        try {
            assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        } finally {
            rest.release();
            decoder.finishAndReleaseAll();
        }
    }

    @Test
    void clientIpAffinityKeysOnTheHeadersClient() throws Exception {
        TcpBackend a = backend(TcpBackend.identifying("127.0.0.2"));
        TcpBackend c = backend(TcpBackend.identifying("127.0.0.3"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("sticky", f, backends(a.address(), c.address()))
                        .affinityTimeoutSeconds(60)
                        .edge(ACCEPT)
                        .build());

        // Every connection comes from 127.0.0.1; only the headers' clients differ.
        Set<String> seen = new HashSet<>();
        for (int i = 1; i <= 16; i++) {
            InetSocketAddress client = new InetSocketAddress(ip("198.51.100." + i), 1000 + i);
            String first = through(f, client);
            for (int again = 0; again < 3; again++) {
                InetSocketAddress samePortless = new InetSocketAddress(client.getAddress(), 2000 + again);
                assertThat(through(f, samePortless)).as("client %s", client).isEqualTo(first);
            }
            seen.add(first);
        }
        // Had the socket's address been used, every connection would have gone to one backend.
        assertThat(seen).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.3");
    }

    private static String through(Frontend f, InetSocketAddress client) throws IOException {
        try (Socket s = connect(f)) {
            s.getOutputStream().write(header(ProxyProtocol.V1, client, Fixtures.address(f)));
            return firstLine(s);
        }
    }

    @Test
    void aConnectionWithoutAValidHeaderIsClosed() throws Exception {
        TcpBackend b = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("strict", f, backends(b.address())).edge(ACCEPT).build());

        try (Socket s = connect(f)) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // Closed (EOF or reset), never answered.
            int read;
            try {
                read = s.getInputStream().read();
            } catch (java.net.SocketException reset) {
                read = -1;
            }
            assertThat(read).isEqualTo(-1);
        }
        assertThat(b.accepted.get()).isZero();

        // A valid header on the same listener still goes through.
        try (Socket s = connect(f)) {
            s.getOutputStream()
                    .write(header(ProxyProtocol.V2, new InetSocketAddress(ip("198.51.100.9"), 5), Fixtures.address(f)));
            s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(firstLine(s)).isEqualTo("ping");
        }
    }
}
