package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.vipd.lb.Frontend;
import io.vipd.lb.ProxyProtocol;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The PROXY protocol header as a backend receives it, decoded by Netty's own decoder. */
class ProxyProtocolTest extends ProxyTestBase {

    @ParameterizedTest
    @EnumSource(
            value = ProxyProtocol.class,
            names = {"V1", "V2"})
    void backendReceivesTheRealClientAndFrontendBeforeTheClientBytes(ProxyProtocol version) throws Exception {
        CompletableFuture<byte[]> received = new CompletableFuture<>();
        TcpBackend b = backend(new TcpBackend(
                "127.0.0.2", 0, s -> received.complete(s.getInputStream().readAllBytes())));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults(),
                entry("pp", f, backends(b.address())).proxyProtocol(version).build());

        InetSocketAddress client;
        try (Socket s = connect(f, "127.0.0.9")) {
            client = (InetSocketAddress) s.getLocalSocketAddress();
            s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
        }

        EmbeddedChannel decoder = new EmbeddedChannel(new HAProxyMessageDecoder());
        decoder.writeInbound(Unpooled.wrappedBuffer(received.get(5, TimeUnit.SECONDS)));
        HAProxyMessage header = decoder.readInbound();
        try {
            assertThat(header.protocolVersion())
                    .isEqualTo(version == ProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2);
            assertThat(header.command()).isEqualTo(HAProxyCommand.PROXY);
            assertThat(header.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP4);
            assertThat(header.sourceAddress()).isEqualTo("127.0.0.9");
            assertThat(header.sourcePort()).isEqualTo(client.getPort());
            assertThat(header.destinationAddress()).isEqualTo("127.0.0.1");
            assertThat(header.destinationPort()).isEqualTo(f.port());
        } finally {
            header.release();
        }
        ByteBuf rest = decoder.readInbound();
        try {
            assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("hello");
        } finally {
            rest.release();
            decoder.finishAndReleaseAll();
        }
    }
}
