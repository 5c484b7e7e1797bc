package io.vipd.cli.demo;

import io.vipd.edge.EdgeConfig;
import io.vipd.lb.Addresses;
import io.vipd.lb.Protocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The demo's story, run automatically ({@code vipd demo --self-test}): requests to a plain service spread
 * over its backends; requests to a ClientIP-affinity service all reach one backend; when that backend goes
 * away every request is still answered, by the others; UDP datagrams are echoed through the proxy. Prints
 * what it observed and whether each part held.
 */
public final class DemoScenario {
    static final int SPREAD_REQUESTS = 30;
    static final int STICKY_REQUESTS = 20;
    static final int FAILOVER_REQUESTS = 20;
    static final int UDP_DATAGRAMS = 5;

    private final EdgeConfig config;
    private final DemoBackends backends;
    private final PrintWriter out;

    public DemoScenario(EdgeConfig config, DemoBackends backends, PrintWriter out) {
        this.config = config;
        this.backends = backends;
        this.out = out;
    }

    /** The first TCP service without affinity and with two or more backends, or null. */
    public static ServicePortEntry spreadService(EdgeConfig config) {
        for (ServicePortEntry e : config.entries()) {
            if (e.name().protocol() == Protocol.TCP
                    && !e.clientIpAffinity()
                    && e.endpoints().size() >= 2) {
                return e;
            }
        }
        return null;
    }

    /** The first TCP service with ClientIP affinity and two or more backends, or null. */
    public static ServicePortEntry stickyService(EdgeConfig config) {
        for (ServicePortEntry e : config.entries()) {
            if (e.name().protocol() == Protocol.TCP
                    && e.clientIpAffinity()
                    && e.endpoints().size() >= 2) {
                return e;
            }
        }
        return null;
    }

    /** The first UDP service with a backend, or null. */
    public static ServicePortEntry udpService(EdgeConfig config) {
        for (ServicePortEntry e : config.entries()) {
            if (e.name().protocol() == Protocol.UDP && !e.endpoints().isEmpty()) {
                return e;
            }
        }
        return null;
    }

    public static InetSocketAddress frontend(ServicePortEntry e) {
        ServiceFrontend f = e.frontends().get(0);
        return f.frontend().socketAddress();
    }

    /** Runs every part; true when all held. */
    public boolean run() {
        boolean ok = true;
        ServicePortEntry spread = spreadService(config);
        ServicePortEntry sticky = stickyService(config);
        ServicePortEntry udp = udpService(config);
        if (spread == null || sticky == null) {
            out.println("the demo needs a TCP service with 2+ backends and one with sessionAffinity: ClientIP");
            return false;
        }
        ok &= spread(spread);
        String stuck = sticky(sticky);
        ok &= stuck != null;
        if (stuck != null) {
            ok &= failover(spread, sticky, stuck);
        }
        if (udp != null) {
            ok &= udp(udp);
        }
        out.println(ok ? "demo self-test passed" : "demo self-test FAILED");
        out.flush();
        return ok;
    }

    private boolean spread(ServicePortEntry e) {
        Map<String, Integer> counts = new TreeMap<>();
        int failed = requests(frontend(e), SPREAD_REQUESTS, counts);
        boolean ok = failed == 0 && counts.size() >= 2;
        report(
                "spread",
                e.name().service().name() + ": " + SPREAD_REQUESTS + " requests (new connection each) " + "answered by "
                        + counts.size() + " backends " + counts + (failed > 0 ? ", " + failed + " failed" : ""),
                ok);
        return ok;
    }

    private String sticky(ServicePortEntry e) {
        Map<String, Integer> counts = new TreeMap<>();
        int failed = requests(frontend(e), STICKY_REQUESTS, counts);
        boolean ok = failed == 0 && counts.size() == 1;
        report(
                "affinity",
                e.name().service().name() + " (ClientIP): " + STICKY_REQUESTS + " requests answered by " + counts
                        + (failed > 0 ? ", " + failed + " failed" : ""),
                ok);
        return ok ? counts.keySet().iterator().next() : null;
    }

    private boolean failover(ServicePortEntry spread, ServicePortEntry sticky, String stopped) {
        backends.stopHttp(stopped);
        try {
            Map<String, Integer> spreadCounts = new TreeMap<>();
            int spreadFailed = requests(frontend(spread), FAILOVER_REQUESTS, spreadCounts);
            Map<String, Integer> stickyCounts = new TreeMap<>();
            int stickyFailed = requests(frontend(sticky), FAILOVER_REQUESTS, stickyCounts);
            boolean ok = spreadFailed == 0
                    && stickyFailed == 0
                    && !spreadCounts.containsKey(stopped)
                    && !stickyCounts.containsKey(stopped)
                    && stickyCounts.size() == 1;
            report(
                    "failover",
                    "stopped backend " + stopped + "; "
                            + spread.name().service().name() + ": "
                            + (FAILOVER_REQUESTS - spreadFailed) + "/" + FAILOVER_REQUESTS + " answered by "
                            + spreadCounts
                            + "; " + sticky.name().service().name() + ": " + (FAILOVER_REQUESTS - stickyFailed) + "/"
                            + FAILOVER_REQUESTS + " answered by " + stickyCounts,
                    ok);
            return ok;
        } finally {
            try {
                backends.restartHttp(stopped);
            } catch (IOException ex) {
                out.println("could not restart backend " + stopped + ": " + ex.getMessage());
            }
        }
    }

    private boolean udp(ServicePortEntry e) {
        Map<String, Integer> counts = new TreeMap<>();
        int failed = 0;
        List<String> errors = new ArrayList<>();
        try (DatagramSocket socket = new DatagramSocket()) {
            for (int i = 0; i < UDP_DATAGRAMS; i++) {
                try {
                    counts.merge(DemoClient.udpEcho(socket, frontend(e), "ping " + i), 1, Integer::sum);
                } catch (IOException ex) {
                    failed++;
                    errors.add(ex.getMessage());
                }
            }
        } catch (IOException ex) {
            failed = UDP_DATAGRAMS;
            errors.add(ex.getMessage());
        }
        boolean ok = failed == 0;
        report(
                "udp",
                e.name().service().name() + " " + Addresses.key(frontend(e)) + "/UDP: "
                        + (UDP_DATAGRAMS - failed) + "/" + UDP_DATAGRAMS + " datagrams echoed by " + counts
                        + (errors.isEmpty() ? "" : " " + errors.get(0)),
                ok);
        return ok;
    }

    private int requests(InetSocketAddress frontend, int n, Map<String, Integer> counts) {
        int failed = 0;
        for (int i = 0; i < n; i++) {
            try {
                counts.merge(DemoClient.httpGet(frontend), 1, Integer::sum);
            } catch (IOException ex) {
                failed++;
            }
        }
        return failed;
    }

    private void report(String part, String observed, boolean ok) {
        out.printf("%-9s %s  %s%n", part + ":", observed, ok ? "ok" : "FAILED");
        out.flush();
    }
}
