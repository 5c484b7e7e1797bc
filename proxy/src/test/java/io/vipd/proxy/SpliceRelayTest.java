package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Frontend;
import io.vipd.testing.Requires;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The relay with splice(2): the key TCP behaviours rerun with every connection spliced from its first byte, and
 * what only splicing has (the switch mid-stream, a bounded amount in flight toward a reader that does not read).
 */
@Requires(epoll = true) // splice(2) is native epoll only
class SpliceRelayTest extends ProxyTestBase {
    private static final int MIB = 1024 * 1024;

    @Nested
    class ForwardingWithSpliceOn extends TcpForwardingTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.EPOLL).withSplice(SpliceMode.ON);
        }
    }

    @Nested
    class ChurnWithSpliceOn extends ConnectionChurnTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.EPOLL).withSplice(SpliceMode.ON);
        }
    }

    @Nested
    class MetricsWithSpliceOn extends MetricsTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.EPOLL).withSplice(SpliceMode.ON);
        }
    }

    @Nested
    class ProxyProtocolWithSpliceOn extends ProxyProtocolTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.EPOLL).withSplice(SpliceMode.ON);
        }
    }

    @Test
    void autoSwitchesABulkStreamMidwayAndEveryByteArrivesInOrderThenTheFin() throws Exception {
        int size = 16 * MIB;
        TcpBackend echo = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withTransport(TransportChoice.EPOLL).withSplice(SpliceMode.AUTO),
                entry("bulk", f, backends(echo.address())).build());

        try (Socket s = connect(f)) {
            assertThat(echoPatternedStream(s, size)).isEqualTo(size);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
        assertThat(registry.get("vipd.connections.spliced").counter().count()).isEqualTo(1);
        assertThat(bytes("rx")).isEqualTo(size);
        assertThat(bytes("tx")).isEqualTo(size);
    }

    @Test
    void autoKeepsCopyingShortExchanges() throws Exception {
        TcpBackend echo = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withTransport(TransportChoice.EPOLL).withSplice(SpliceMode.AUTO),
                entry("short", f, backends(echo.address())).build());

        try (Socket s = connect(f)) {
            for (int i = 0; i < 50; i++) {
                s.getOutputStream().write(new byte[1000]);
                assertThat(s.getInputStream().readNBytes(1000)).hasSize(1000);
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
        assertThat(registry.get("vipd.connections.spliced").counter().count()).isZero();
    }

    /** Under AUTO the switch happens while Netty still holds bytes for the stalled reader: it waits for them. */
    @ParameterizedTest
    @EnumSource(
            value = SpliceMode.class,
            names = {"ON", "AUTO"})
    void aReaderThatStopsReadingHoldsTheSenderBack(SpliceMode mode) throws Exception {
        long total = 256L * MIB;
        AtomicLong written = new AtomicLong();
        TcpBackend firehose = backend(new TcpBackend("127.0.0.2", 0, s -> {
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[64 * 1024];
            while (written.get() < total) {
                out.write(chunk);
                written.addAndGet(chunk.length);
            }
        }));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withTransport(TransportChoice.EPOLL).withSplice(mode),
                entry("slow", f, backends(firehose.address())).build());

        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(Fixtures.address(f), 2000);
            s.setSoTimeout(20_000);
            // Not reading: the backend fills the socket buffers on its way and the pipe, then has to stop.
            long last = -1;
            for (int i = 0; i < 100 && written.get() != last; i++) {
                last = written.get();
                Thread.sleep(200);
            }
            assertThat(written.get()).isLessThan(total);
            // Reading again drains what was held back, and the stream goes on (spliced by now).
            assertThat(s.getInputStream().readNBytes(64 * MIB)).hasSize(64 * MIB);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
        assertThat(registry.get("vipd.connections.spliced").counter().count()).isEqualTo(1);
    }

    @Test
    void clientResetReachesTheBackendAsReset() throws Exception {
        CompletableFuture<Throwable> backendSaw = new CompletableFuture<>();
        TcpBackend b = backend(new TcpBackend("127.0.0.2", 0, s -> {
            s.setSoTimeout(10_000);
            try {
                s.getInputStream().read();
                s.getOutputStream().write('y');
                readUntilError(s.getInputStream());
                backendSaw.complete(null);
            } catch (Exception e) {
                backendSaw.complete(e);
            }
        }));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withTransport(TransportChoice.EPOLL).withSplice(SpliceMode.ON),
                entry("rst", f, backends(b.address())).build());

        try (Socket s = connect(f)) {
            s.getOutputStream().write('x');
            assertThat(s.getInputStream().read()).isEqualTo('y');
            s.setSoLinger(true, 0);
        }
        assertThat(backendSaw.get(10, TimeUnit.SECONDS))
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
        assertThat(registry.get("vipd.connections.spliced").counter().count()).isEqualTo(1);
    }

    @Test
    void spliceModeParsesTheFlagValues() {
        assertThatThrownBy(() -> SpliceMode.parse("sometimes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("off, auto or on");
        assertThat(SpliceMode.parse(" Auto ")).isEqualTo(SpliceMode.AUTO);
    }

    private double bytes(String direction) {
        return registry.get("vipd.bytes").tag("direction", direction).counter().count();
    }
}
