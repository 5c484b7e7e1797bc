package io.vipd.proxy;

import static io.vipd.proxy.Fixtures.backends;
import static io.vipd.proxy.Fixtures.entry;
import static io.vipd.proxy.Fixtures.tcpFrontend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.lb.Frontend;
import io.vipd.testing.Requires;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@code --transport io_uring}: the TCP, UDP, churn and PROXY protocol suites rerun with the engine on io_uring,
 * node mode's transparent listeners too (its UDP listener on the epoll fallback loops), and a bulk stream checked
 * byte by byte (io_uring relays through buffers, no splice). See {@link IoUringRequirement} for where it skips.
 */
class IoUringTransportTest extends ProxyTestBase {
    private static final int MIB = 1024 * 1024;

    @BeforeEach
    void needsIoUring() {
        IoUringRequirement.assumeAvailable();
    }

    @Override
    protected ProxyConfig configure(ProxyConfig config) {
        return config.withTransport(TransportChoice.IO_URING);
    }

    @Nested
    class TcpOnIoUring extends TcpForwardingTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.IO_URING);
        }
    }

    @Nested
    class UdpOnIoUring extends UdpForwardingTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.IO_URING);
        }
    }

    @Nested
    class ChurnOnIoUring extends ConnectionChurnTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.IO_URING);
        }
    }

    @Nested
    class ProxyProtocolOnIoUring extends ProxyProtocolTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.IO_URING);
        }
    }

    @Nested
    @Requires(root = true, epoll = true) // IP_TRANSPARENT needs CAP_NET_ADMIN; the UDP listener falls back to epoll
    class TransparentOnIoUring extends TransparentListenerTest {
        @Override
        protected ProxyConfig configure(ProxyConfig config) {
            return config.withTransport(TransportChoice.IO_URING);
        }
    }

    @Test
    void theEngineRunsOnIoUringAndABulkStreamArrivesWholeAndInOrderThenTheFin() throws Exception {
        int size = 16 * MIB;
        TcpBackend echo = backend(TcpBackend.echo("127.0.0.2"));
        Frontend f = tcpFrontend("127.0.0.1");
        proxy(
                ProxyConfig.defaults().withSplice(SpliceMode.ON),
                entry("bulk", f, backends(echo.address())).build());
        assertThat(proxy.transportName()).isEqualTo("io_uring");

        try (Socket s = connect(f)) {
            assertThat(echoPatternedStream(s, size)).isEqualTo(size);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.activeConnections() == 0);
        assertThat(registry.get("vipd.connections.spliced").counter().count())
                .as("--splice on is epoll's: io_uring relays through buffers")
                .isZero();
    }
}
