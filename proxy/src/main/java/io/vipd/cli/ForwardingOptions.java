package io.vipd.cli;

import io.vipd.proxy.ProxyConfig;
import io.vipd.proxy.SpliceMode;
import io.vipd.proxy.TransportChoice;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The forwarding engine's flags, shared by {@code vipd edge} and {@code vipd node}. The defaults written here are
 * {@link ProxyConfig#defaults()}'s (a test holds them equal); errors name the flag.
 */
public final class ForwardingOptions {
    @Option(
            names = "--event-loops",
            paramLabel = "N",
            defaultValue = "0",
            description = "forwarding event loops (default 0: one per core)")
    int eventLoops;

    @Mixin
    TransportOption transport = new TransportOption();

    @Option(
            names = "--splice",
            paramLabel = "MODE",
            defaultValue = "auto",
            description = "move TCP bytes with splice(2), kernel to kernel (epoll only): off, auto (once a "
                    + "connection streams in bulk) or on (every connection) (default ${DEFAULT-VALUE})")
    String splice;

    @Option(
            names = "--connect-timeout",
            paramLabel = "DURATION",
            defaultValue = "2s",
            converter = GoDurationConverter.class,
            description = "how long one connect to a backend may take before the next backend is tried "
                    + "(default ${DEFAULT-VALUE})")
    Duration connectTimeout;

    @Option(
            names = "--connect-attempts",
            paramLabel = "N",
            defaultValue = "3",
            description = "backends tried per TCP connection, in the service's preference order, while none has "
                    + "answered; 1: no retry (default ${DEFAULT-VALUE})")
    int connectAttempts;

    @Option(
            names = "--tcp-idle-timeout",
            paramLabel = "DURATION",
            defaultValue = "0s",
            converter = GoDurationConverter.class,
            description = "reset both sides of a TCP connection with no bytes either way for this long (default "
                    + "${DEFAULT-VALUE}: never)")
    Duration tcpIdleTimeout;

    @Option(
            names = "--ejection-threshold",
            paramLabel = "N",
            defaultValue = "3",
            description = "consecutive failed connects after which a backend is skipped on this node "
                    + "(default ${DEFAULT-VALUE})")
    int ejectionThreshold;

    @Option(
            names = "--ejection-backoff",
            paramLabel = "DURATION",
            defaultValue = "10s",
            converter = GoDurationConverter.class,
            description =
                    "how long an ejected backend is skipped before it is tried again, doubled each time it "
                            + "fails its first connect after that, up to 5m (or this value, if longer); 0s: never eject (default ${DEFAULT-VALUE})")
    Duration ejectionBackoff;

    @Option(
            names = "--udp-idle-timeout",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = GoDurationConverter.class,
            description = "forget a UDP flow with no datagram either way for this long (default ${DEFAULT-VALUE})")
    Duration udpIdleTimeout;

    @Option(
            names = "--udp-max-flows",
            paramLabel = "N",
            defaultValue = "65536",
            description = "UDP flows held at once; when full, datagrams that would start a new flow are dropped "
                    + "(default ${DEFAULT-VALUE})")
    int udpMaxFlows;

    /**
     * These flags over {@code base}.
     *
     * @throws IllegalArgumentException naming the flag, for a value out of range
     */
    public ProxyConfig applyTo(ProxyConfig base) {
        SpliceMode spliceMode;
        try {
            spliceMode = SpliceMode.parse(splice);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--splice " + splice + ": want off, auto or on", e);
        }
        TransportChoice transportChoice = transport.choice();
        atLeast("--event-loops", eventLoops, 0);
        atLeast("--connect-timeout", connectTimeout, Duration.ofMillis(1));
        atLeast("--connect-attempts", connectAttempts, 1);
        atLeast("--ejection-threshold", ejectionThreshold, 1);
        atLeast("--udp-idle-timeout", udpIdleTimeout, Duration.ofMillis(1));
        atLeast("--udp-max-flows", udpMaxFlows, 1);
        return base.withEventLoops(eventLoops)
                .withSplice(spliceMode)
                .withConnectTimeout(connectTimeout)
                .withConnectAttempts(connectAttempts)
                .withIdleTimeout(tcpIdleTimeout)
                .withEjectionThreshold(ejectionThreshold)
                .withEjectionBackoff(ejectionBackoff)
                .withUdpIdleTimeout(udpIdleTimeout)
                .withUdpMaxFlows(udpMaxFlows)
                .withTransport(transportChoice);
    }

    private static void atLeast(String flag, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(flag + " " + value + ": must be at least " + min);
        }
    }

    private static void atLeast(String flag, Duration value, Duration min) {
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(flag + " " + GoDurationConverter.format(value) + ": must be at least "
                    + GoDurationConverter.format(min));
        }
    }
}
