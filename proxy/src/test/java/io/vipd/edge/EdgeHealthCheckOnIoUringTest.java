package io.vipd.edge;

import io.vipd.proxy.IoUringRequirement;
import io.vipd.proxy.ProxyConfig;
import io.vipd.proxy.TransportChoice;
import org.junit.jupiter.api.BeforeEach;

/** The active health checks with the engine, and so its probes, on io_uring. */
class EdgeHealthCheckOnIoUringTest extends EdgeHealthCheckTest {
    @BeforeEach
    void needsIoUring() {
        IoUringRequirement.assumeAvailable();
    }

    @Override
    protected ProxyConfig proxyConfig() {
        return super.proxyConfig().withTransport(TransportChoice.IO_URING);
    }
}
