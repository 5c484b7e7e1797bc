package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client datagrams vipd received but could not forward, so that none disappears unseen: each is counted in
 * {@code vipd_udp_datagrams_unroutable_total{reason}}, and each reason logs at most one line per
 * {@value #LOG_INTERVAL_SECONDS} s (with how many it left unlogged), so a flood costs no log volume. The
 * counters are registered up front; a drop allocates nothing unless it logs. Thread-safe.
 */
final class UnroutableDatagrams {
    private static final Logger log = LoggerFactory.getLogger(UnroutableDatagrams.class);
    static final int LOG_INTERVAL_SECONDS = 10;
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS);

    /** Why a datagram was not forwarded; the metric's {@code reason} label. */
    enum Reason {
        /** A transparent listener got a datagram without its original destination (the kernel gave none). */
        UNKNOWN_DESTINATION("unknown_destination", "the original destination is unknown"),
        /** The destination is no frontend in the table (a service removed a moment ago, or not intercepted). */
        NO_FRONTEND("no_frontend", "no service port has this frontend"),
        /** The client is outside the LoadBalancer's loadBalancerSourceRanges. */
        SOURCE_NOT_ALLOWED("source_not_allowed", "the client is outside loadBalancerSourceRanges"),
        /** The service port has no usable endpoint (kube-proxy rejects). */
        NO_ENDPOINT("no_endpoint", "the service port has no usable endpoint"),
        /** Local traffic policy and no endpoint on this node (kube-proxy drops). */
        NO_LOCAL_ENDPOINT("no_local_endpoint", "the traffic policy is Local and no endpoint is on this node"),
        /** No endpoint can take the flow: all drained or down by health checks. */
        NO_BACKEND("no_backend", "no endpoint can take the flow (all drained or down)"),
        /** The client pod's egress NetworkPolicy allows none of the endpoints. */
        REFUSED_BY_POLICY("refused_by_policy", "the client's egress NetworkPolicy allows none of the endpoints"),
        /** The flow table is full (see vipd_udp_flow_evictions_total{reason="full"}). */
        FLOW_TABLE_FULL("flow_table_full", "the UDP flow table is full");

        final String label;
        final String description;

        Reason(String label, String description) {
            this.label = label;
            this.description = description;
        }
    }

    private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);
    private final Map<Reason, AtomicLong> lastLogged = new EnumMap<>(Reason.class);
    private final Map<Reason, AtomicLong> unlogged = new EnumMap<>(Reason.class);
    private final LongSupplier nanoClock;

    UnroutableDatagrams(MeterRegistry registry) {
        this(registry, System::nanoTime);
    }

    /** @param nanoClock {@link System#nanoTime} but in tests */
    UnroutableDatagrams(MeterRegistry registry, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        for (Reason r : Reason.values()) {
            counters.put(
                    r,
                    Counter.builder("vipd.udp.datagrams.unroutable")
                            .description("Client datagrams received but not forwarded, by reason")
                            .tag("reason", r.label)
                            .register(registry));
            lastLogged.put(r, new AtomicLong(nanoClock.getAsLong() - LOG_INTERVAL_NANOS));
            unlogged.put(r, new AtomicLong());
        }
    }

    /** Counts one datagram from {@code client} to {@code frontend} dropped for {@code reason}. */
    void drop(Reason reason, InetSocketAddress client, InetSocketAddress frontend) {
        counters.get(reason).increment();
        AtomicLong last = lastLogged.get(reason);
        long now = nanoClock.getAsLong();
        long then = last.get();
        if (now - then < LOG_INTERVAL_NANOS || !last.compareAndSet(then, now)) {
            unlogged.get(reason).incrementAndGet();
            return;
        }
        log.atWarn()
                .addKeyValue("reason", reason.label)
                .addKeyValue("client", client)
                .addKeyValue("frontend", frontend)
                .addKeyValue("not_logged_since_last", unlogged.get(reason).getAndSet(0))
                .log("UDP datagram dropped: " + reason.description);
    }

    /** The count so far for {@code reason}. */
    double count(Reason reason) {
        return counters.get(reason).count();
    }
}
