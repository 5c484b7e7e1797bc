package io.vipd.nodeport.interception;

import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two policy routing entries per family that deliver marked packets locally, as TPROXY needs
 * (Documentation/networking/tproxy.rst): {@code ip rule add fwmark M/M lookup T} and
 * {@code ip route add local default dev lo table T}. Installing and removing are idempotent. Thread-safe.
 */
public final class PolicyRouting {
    private static final Logger log = LoggerFactory.getLogger(PolicyRouting.class);

    private final CommandRunner runner;
    private final InterceptionConfig config;
    /** Whether the last install put the IPv6 route in place; a node without IPv6 is not "missing" it. */
    private volatile boolean ipv6Installed;

    public PolicyRouting(CommandRunner runner, InterceptionConfig config) {
        this.runner = runner;
        this.config = config;
    }

    /** Adds the rule (unless present) and replaces the route, for IPv4 and IPv6. */
    public void install() throws IOException {
        for (String fam : new String[] {"-4", "-6"}) {
            if (!ruleExists(fam)) {
                check(
                        runner.run(
                                List.of(
                                        "ip",
                                        fam,
                                        "rule",
                                        "add",
                                        "fwmark",
                                        fwmark(),
                                        "lookup",
                                        table(),
                                        "priority",
                                        table()),
                                null),
                        fam + " rule add");
            }
            if (!routeExists(fam)) {
                // Someone else's routes in vipd's table would outlive a replace: start from an empty table.
                runner.run(List.of("ip", fam, "route", "flush", "table", table()), null);
            }
            CommandRunner.Result r = runner.run(
                    List.of(
                            "ip",
                            fam,
                            "route",
                            "replace",
                            "local",
                            fam.equals("-4") ? "0.0.0.0/0" : "::/0",
                            "dev",
                            "lo",
                            "table",
                            table()),
                    null);
            if (!r.ok() && fam.equals("-6")) {
                // A node without IPv6 (ipv6.disable=1) still works for IPv4.
                log.atWarn().addKeyValue("error", r.stderr().trim()).log("IPv6 policy route not installed");
                ipv6Installed = false;
                continue;
            }
            check(r, fam + " route replace");
            if (fam.equals("-6")) {
                ipv6Installed = true;
            }
        }
    }

    /** Whether every entry the last {@link #install} put in place is still there (IPv6 only if it was). */
    public boolean intact() throws IOException {
        if (!ruleExists("-4") || !routeExists("-4")) {
            return false;
        }
        return !ipv6Installed || ruleExists("-6") && routeExists("-6");
    }

    /** Removes every copy of the rule and flushes the table, for IPv4 and IPv6; absent entries are fine. */
    public void remove() throws IOException {
        for (String fam : new String[] {"-4", "-6"}) {
            for (int i = 0; i < 16 && ruleExists(fam); i++) {
                runner.run(List.of("ip", fam, "rule", "del", "fwmark", fwmark(), "lookup", table()), null);
            }
            runner.run(List.of("ip", fam, "route", "flush", "table", table()), null);
        }
    }

    /** Whether the rule exists in this family. */
    public boolean ruleExists(String fam) throws IOException {
        CommandRunner.Result r =
                runner.run(List.of("ip", fam, "rule", "list", "fwmark", fwmark(), "lookup", table()), null);
        return r.ok() && !r.stdout().isBlank();
    }

    /** Whether this family's table holds the local default route through lo, and nothing else. */
    public boolean routeExists(String fam) throws IOException {
        CommandRunner.Result r = runner.run(List.of("ip", fam, "route", "show", "table", table()), null);
        if (!r.ok()) {
            return false;
        }
        List<String> routes = r.stdout().strip().lines().toList();
        return routes.size() == 1 && routes.get(0).startsWith("local default dev lo ");
    }

    private String fwmark() {
        return config.markHex() + "/" + config.markHex();
    }

    private String table() {
        return Integer.toString(config.routeTable());
    }

    private static void check(CommandRunner.Result r, String what) throws IOException {
        if (!r.ok()) {
            throw new IOException("ip " + what + " failed: " + r.stderr().trim());
        }
    }
}
