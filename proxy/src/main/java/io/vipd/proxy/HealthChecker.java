package io.vipd.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.vipd.lb.Backend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Active health checks of the backends of service ports that ask for them ({@link HealthCheck}). Each (service
 * port, backend) is a {@link CheckTarget}; they all run on one event loop of their own, started with the first
 * check, which runs at most {@value #MAX_IN_FLIGHT_PER_LOOP} checks at once ({@link CheckLoop}). A backend that
 * goes down is marked in {@link UnavailableBackends}, which new flows read; established ones are left alone.
 *
 * <p>Why a loop of their own rather than the forwarding loops: a check costs a TCP handshake, a request and a
 * close, mostly in the kernel, and 10,000 backends at 2 s are 5,000 of them a second. On the forwarding loops
 * their socket events queued in front of forwarded data (a loop handles every ready event of one wake-up before
 * the next), which stretched forwarding's tail latency several-fold; on their own loop forwarding only shares
 * the CPU with them, as Envoy keeps its health checks on its main thread and off its workers.
 *
 * <p>What is checked follows the configuration ({@link #configure}) and the table ({@link #onTableChanged}):
 * a target starts when its backend appears in a checked port and stops when it leaves or the port's check
 * changes; targets whose address and check stay the same keep their state across reloads. Thread-safe:
 * configuration and table changes are serialised by a lock; status reads take none.
 */
final class HealthChecker {
    /** Checks one event loop runs at once; more wait their turn. */
    static final int MAX_IN_FLIGHT_PER_LOOP = 128;

    private record PortMeters(Counter passed, Counter failed) {}

    private final ServiceTable table;
    private final UnavailableBackends unavailable;
    private final MeterRegistry registry;
    private final Transport transport;
    private final ChannelFactory<Channel> ipv4;
    private final ChannelFactory<Channel> ipv6;
    /** Guarded by lock; made with the first target. */
    private MultiThreadIoEventLoopGroup group;
    /** Guarded by lock. */
    private CheckLoop loop;

    private final Object lock = new Object();
    /** Guarded by lock. */
    private Map<ServicePortName, HealthCheck> checks = Map.of();
    /** Written under lock, read by status pages. */
    private final ConcurrentHashMap<ServicePortName, ConcurrentHashMap<String, CheckTarget>> targets =
            new ConcurrentHashMap<>();
    /** Guarded by lock. */
    private final Map<CheckTarget, Gauge> gauges = new HashMap<>();
    /** Guarded by lock. */
    private final Map<ServicePortName, PortMeters> portMeters = new HashMap<>();

    HealthChecker(ServiceTable table, UnavailableBackends unavailable, MeterRegistry registry, Transport transport) {
        this.table = table;
        this.unavailable = unavailable;
        this.registry = registry;
        this.transport = transport;
        this.ipv4 = transport.socketChannel(true);
        this.ipv6 = transport.socketChannel(false);
    }

    /** The checks in force from now on, by service port; ports not named are not checked. */
    void configure(Map<ServicePortName, HealthCheck> next) {
        synchronized (lock) {
            Map<ServicePortName, HealthCheck> previous = checks;
            checks = Map.copyOf(next);
            List<ServicePortName> names = new ArrayList<>(previous.keySet());
            names.addAll(checks.keySet());
            names.addAll(targets.keySet());
            reconcile(names);
        }
    }

    /** The table changed these service ports: start and stop their targets to match. */
    void onTableChanged(Collection<ServicePortName> changed) {
        synchronized (lock) {
            if (checks.isEmpty() && targets.isEmpty()) {
                return;
            }
            reconcile(changed);
        }
    }

    /** Stops every check, then the checks' loop. */
    void close() {
        configure(Map.of());
        synchronized (lock) {
            if (group != null) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            }
        }
    }

    /** The check state of a backend of a port, or null when it is not checked. */
    ProxyStats.CheckStatus status(ServicePortName port, String key) {
        Map<String, CheckTarget> byKey = targets.get(port);
        CheckTarget t = byKey == null ? null : byKey.get(key);
        return t == null ? null : t.status();
    }

    private void reconcile(Collection<ServicePortName> names) {
        for (ServicePortName name : new java.util.LinkedHashSet<>(names)) {
            HealthCheck check = checks.get(name);
            ServicePortEntry entry = check == null ? null : table.get(name);
            Map<String, InetSocketAddress> wanted = new HashMap<>();
            if (entry != null) {
                for (Backend b : entry.endpoints().backends()) {
                    wanted.put(b.key(), new InetSocketAddress(b.ip(), check.port() == 0 ? b.port() : check.port()));
                }
            }
            ConcurrentHashMap<String, CheckTarget> current = targets.get(name);
            if (current != null) {
                for (CheckTarget t : List.copyOf(current.values())) {
                    if (!t.check.equals(check) || !t.address.equals(wanted.get(t.key))) {
                        current.remove(t.key);
                        stop(t);
                    }
                }
            }
            if (wanted.isEmpty()) {
                if (current != null && current.isEmpty()) {
                    targets.remove(name);
                    removePortMeters(name);
                }
                continue;
            }
            ConcurrentHashMap<String, CheckTarget> byKey =
                    targets.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
            PortMeters meters = portMeters.computeIfAbsent(name, this::portMeters);
            for (Map.Entry<String, InetSocketAddress> w : wanted.entrySet()) {
                if (!byKey.containsKey(w.getKey())) {
                    CheckTarget t = newTarget(name, w.getKey(), w.getValue(), check, meters);
                    byKey.put(w.getKey(), t);
                    t.start();
                }
            }
        }
    }

    private CheckTarget newTarget(
            ServicePortName name, String key, InetSocketAddress address, HealthCheck check, PortMeters meters) {
        CheckTarget t = new CheckTarget(
                name,
                key,
                address,
                check,
                checkLoop(),
                address.getAddress() instanceof Inet4Address ? ipv4 : ipv6,
                unavailable,
                meters.passed,
                meters.failed);
        gauges.put(
                t,
                Gauge.builder("vipd.backend.health.up", t, target -> target.up() ? 1 : 0)
                        .description("1 while a health-checked backend is up, 0 while it is down")
                        .tags("service", name.toString(), "backend", key)
                        .register(registry));
        return t;
    }

    /** The checks' loop, started with the first target. */
    private CheckLoop checkLoop() {
        if (loop == null) {
            group = transport.newGroup(1, "vipd-health");
            loop = new CheckLoop(group.next(), MAX_IN_FLIGHT_PER_LOOP);
        }
        return loop;
    }

    private void stop(CheckTarget t) {
        t.stop();
        Meter gauge = gauges.remove(t);
        if (gauge != null) {
            registry.remove(gauge);
        }
    }

    private PortMeters portMeters(ServicePortName name) {
        return new PortMeters(checkCounter(name, "pass"), checkCounter(name, "fail"));
    }

    private Counter checkCounter(ServicePortName name, String result) {
        return Counter.builder("vipd.health.checks")
                .description("Active health checks run, by result")
                .tags("service", name.toString(), "result", result)
                .register(registry);
    }

    private void removePortMeters(ServicePortName name) {
        PortMeters m = portMeters.remove(name);
        if (m != null) {
            registry.remove(m.passed);
            registry.remove(m.failed);
        }
    }
}
