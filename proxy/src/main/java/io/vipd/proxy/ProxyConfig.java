package io.vipd.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the forwarding engine. Immutable; change one setting with the {@code withX} copy methods.
 *
 * @param eventLoops        number of event loops; 0 means one per available core
 * @param connectTimeout    how long one backend connect attempt may take (default 2 s)
 * @param connectAttempts   backend connects tried per client connection: the first plus retries (default 3)
 * @param idleTimeout       a TCP connection with no traffic either way for this long is reset; ZERO = off (default)
 * @param ejectionBackoff   how long a backend that keeps failing connects is first skipped on this node (default
 *                          10 s; doubled on each further ejection, up to 5 min; ZERO = never eject)
 * @param ejectionThreshold consecutive connect failures that eject a backend (default 3)
 * @param udpIdleTimeout    a UDP flow with no datagram either way for this long is forgotten (default 30 s)
 * @param udpMaxFlows       UDP flows held at once on this node; datagrams of new flows are dropped beyond it (default 65536)
 * @param transparent       node mode: IP_TRANSPARENT listeners and egress (needs CAP_NET_ADMIN and a native transport)
 * @param splice            when TCP bytes move by splice(2) instead of through user-space buffers (epoll only)
 * @param transport         the socket implementation: epoll, io_uring, NIO, or auto (epoll when available, else NIO)
 */
public record ProxyConfig(
        int eventLoops,
        Duration connectTimeout,
        int connectAttempts,
        Duration idleTimeout,
        Duration ejectionBackoff,
        int ejectionThreshold,
        Duration udpIdleTimeout,
        int udpMaxFlows,
        boolean transparent,
        SpliceMode splice,
        TransportChoice transport) {
    public ProxyConfig {
        if (eventLoops < 0) {
            throw new IllegalArgumentException("eventLoops " + eventLoops + " is negative (0 means one per core)");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(ejectionBackoff, "ejectionBackoff");
        Objects.requireNonNull(udpIdleTimeout, "udpIdleTimeout");
        Objects.requireNonNull(splice, "splice");
        Objects.requireNonNull(transport, "transport");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
        }
        if (connectAttempts < 1) {
            throw new IllegalArgumentException("connectAttempts must be at least 1, got " + connectAttempts);
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must not be negative, got " + idleTimeout);
        }
        if (ejectionBackoff.isNegative()) {
            throw new IllegalArgumentException("ejectionBackoff must not be negative, got " + ejectionBackoff);
        }
        if (ejectionThreshold < 1) {
            throw new IllegalArgumentException("ejectionThreshold must be at least 1, got " + ejectionThreshold);
        }
        if (udpIdleTimeout.isNegative() || udpIdleTimeout.isZero()) {
            throw new IllegalArgumentException("udpIdleTimeout must be positive, got " + udpIdleTimeout);
        }
        if (udpMaxFlows < 1) {
            throw new IllegalArgumentException("udpMaxFlows must be at least 1, got " + udpMaxFlows);
        }
    }

    public static ProxyConfig defaults() {
        return new ProxyConfig(
                0,
                Duration.ofSeconds(2),
                3,
                Duration.ZERO,
                Duration.ofSeconds(10),
                3,
                Duration.ofSeconds(30),
                65536,
                false,
                SpliceMode.AUTO,
                TransportChoice.AUTO);
    }

    /** The event loop count to use: {@link #eventLoops()}, or the core count when it is 0. */
    public int effectiveEventLoops() {
        return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
    }

    public ProxyConfig withEventLoops(int v) {
        return new ProxyConfig(
                v,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withConnectTimeout(Duration v) {
        return new ProxyConfig(
                eventLoops,
                v,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withConnectAttempts(int v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                v,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withIdleTimeout(Duration v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                v,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withEjectionBackoff(Duration v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                v,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withEjectionThreshold(int v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                v,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withUdpIdleTimeout(Duration v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                v,
                udpMaxFlows,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withUdpMaxFlows(int v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                v,
                transparent,
                splice,
                transport);
    }

    public ProxyConfig withTransparent(boolean v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                v,
                splice,
                transport);
    }

    public ProxyConfig withSplice(SpliceMode v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                v,
                transport);
    }

    public ProxyConfig withTransport(TransportChoice v) {
        return new ProxyConfig(
                eventLoops,
                connectTimeout,
                connectAttempts,
                idleTimeout,
                ejectionBackoff,
                ejectionThreshold,
                udpIdleTimeout,
                udpMaxFlows,
                transparent,
                splice,
                v);
    }
}
