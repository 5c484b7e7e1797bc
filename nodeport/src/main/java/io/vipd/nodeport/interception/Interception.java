package io.vipd.nodeport.interception;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import io.vipd.lb.ServiceTable;
import io.vipd.lb.TableListener;
import java.io.IOException;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node mode interception: keeps vipd's nftables table {@code inet vipd} in step with the service table.
 *
 * <p>Each service port contributes set elements ({@link NftElements}); elements are reference-counted, and a
 * table change becomes one {@code nft -f -} transaction of element additions and deletions, never a rewrite.
 * Until {@link #syncAll} runs (after the sources' initial sync), a table left by an earlier vipd keeps
 * intercepting unchanged, so a restart does not interrupt traffic; {@code syncAll} then replaces the table
 * with the desired content in one atomic transaction (no duplicates, no gap). A failed update is repaired the
 * same way. Thread-safe: methods are synchronized; listener calls come from the sync thread.
 */
public final class Interception implements TableListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Interception.class);
    private static final List<String> NFT = List.of("nft", "-f", "-");

    private final CommandRunner runner;
    private InterceptionConfig config;
    private final PolicyRouting routing;
    private final Map<ServicePortName, Map<NftSet, Set<String>>> contributions = new HashMap<>();
    /** The SCTP service ports' sets and chains ({@link SctpForwarding}), by service port. */
    private final Map<ServicePortName, SctpForwarding.Rules> sctp = new HashMap<>();

    private final Map<NftSet, Map<String, Integer>> counts = new EnumMap<>(NftSet.class);
    private final Counter syncFailures;
    private final Counter routingRepairs;
    private final Counter tableRepairs;
    private boolean synced;
    private long transactions;
    /**
     * The table as vipd last saw it unchanged by others; null after vipd changed it, until the next check
     * lists it again (listing 10,000 services costs nft about half a CPU second, too much for every update).
     */
    private NftListing lastVerified;
    /** A successor owns the table now: this process must not "repair" it back to its own view. */
    private boolean retired;

    public Interception(CommandRunner runner, InterceptionConfig config) {
        this(runner, config, new SimpleMeterRegistry());
    }

    /** Counts failed nft transactions as kube-proxy's {@code kubeproxy_sync_proxy_rules_nftables_sync_failures_total}. */
    public Interception(CommandRunner runner, InterceptionConfig config, MeterRegistry registry) {
        this.runner = runner;
        this.config = config;
        this.routing = new PolicyRouting(runner, config);
        this.syncFailures = Counter.builder("kubeproxy.sync.proxy.rules.nftables.sync.failures")
                .description("nftables transactions that failed")
                .register(registry);
        this.routingRepairs = repairs(registry, "policy_routing");
        this.tableRepairs = repairs(registry, "nftables_table");
    }

    private static Counter repairs(MeterRegistry registry, String what) {
        return Counter.builder("vipd.interception.repairs")
                .description("Times the periodic check found vipd's interception changed by someone else and"
                        + " restored it")
                .tag("what", what)
                .register(registry);
    }

    /**
     * Installs policy routing, and an empty table if none exists (an existing one is adopted as it is until
     * {@link #syncAll}).
     */
    public synchronized void start() throws IOException {
        routing.install();
        CommandRunner.Result r = runner.run(List.of("nft", "list", "table", "inet", "vipd"), null);
        if (r.ok()) {
            log.atInfo().log("Adopting the existing nftables table inet vipd until the first sync");
            return;
        }
        apply(NftRuleset.replace(config, NftElements.node(config)));
    }

    /** Makes the nftables table match the whole service table, atomically. */
    public synchronized void syncAll(ServiceTable table) throws IOException {
        contributions.clear();
        counts.clear();
        sctp.clear();
        count(NftElements.node(config), 1);
        for (ServicePortEntry e : table.entries()) {
            SctpForwarding.Rules rules = SctpForwarding.of(e, config);
            Map<NftSet, Set<String>> c = contribution(e, rules);
            contributions.put(e.name(), c);
            if (!rules.chains().isEmpty()) {
                sctp.put(e.name(), rules);
            }
            count(c, 1);
        }
        apply(NftRuleset.replace(config, desired(), allSctp()));
        synced = true;
        log.atInfo().addKeyValue("servicePorts", contributions.size()).log("nftables table inet vipd synced");
    }

    @Override
    public synchronized void onTableChanged(ServiceTable table, Set<ServicePortName> changed) {
        if (!synced || retired) {
            return;
        }
        Map<NftSet, Set<String>> additions = new EnumMap<>(NftSet.class);
        Map<NftSet, Set<String>> deletions = new EnumMap<>(NftSet.class);
        Map<String, String> sets = new LinkedHashMap<>();
        Map<String, List<String>> chains = new LinkedHashMap<>();
        Set<String> chainsGone = new LinkedHashSet<>();
        Set<String> setsGone = new LinkedHashSet<>();
        for (ServicePortName name : changed) {
            ServicePortEntry entry = table.get(name);
            SctpForwarding.Rules rules = entry == null ? SctpForwarding.Rules.NONE : SctpForwarding.of(entry, config);
            SctpForwarding.Rules before = sctp.getOrDefault(name, SctpForwarding.Rules.NONE);
            if (!rules.chains().equals(before.chains()) || !rules.sets().equals(before.sets())) {
                sets.putAll(rules.sets());
                chains.putAll(rules.chains());
                before.chains().keySet().stream()
                        .filter(c -> !rules.chains().containsKey(c))
                        .forEach(chainsGone::add);
                before.sets().keySet().stream()
                        .filter(c -> !rules.sets().containsKey(c))
                        .forEach(setsGone::add);
                if (rules.chains().isEmpty()) {
                    sctp.remove(name);
                } else {
                    sctp.put(name, rules);
                }
            }
            Map<NftSet, Set<String>> next = entry == null ? Map.of() : contribution(entry, rules);
            Map<NftSet, Set<String>> previous = contributions.getOrDefault(name, Map.of());
            if (next.equals(previous)) {
                continue;
            }
            change(previous, -1, deletions, additions);
            change(next, +1, deletions, additions);
            if (entry == null) {
                contributions.remove(name);
            } else {
                contributions.put(name, next);
            }
        }
        // An element deleted and re-added in the same change stays.
        for (Map.Entry<NftSet, Set<String>> d : deletions.entrySet()) {
            Set<String> add = additions.get(d.getKey());
            if (add == null) {
                continue;
            }
            Set<String> both = new LinkedHashSet<>(d.getValue());
            both.retainAll(add);
            d.getValue().removeAll(both);
            add.removeAll(both);
        }
        String script = NftRuleset.delta(
                additions, deletions, new SctpForwarding.Rules(sets, chains, Map.of()), chainsGone, setsGone);
        if (script.isEmpty()) {
            return;
        }
        try {
            apply(script);
        } catch (IOException e) {
            log.atWarn().addKeyValue("error", e.getMessage()).log("nftables update failed; replacing the table");
            try {
                apply(NftRuleset.replace(config, desired(), allSctp()));
            } catch (IOException again) {
                log.atError().addKeyValue("error", again.getMessage()).log("nftables table replace failed");
            }
        }
    }

    /**
     * Repairs what someone else changed or removed, as kube-proxy's periodic full sync does for its rules:
     * policy routing entries that are gone or altered are reinstalled; a table that is gone, or whose
     * chains, rules, sets or elements differ from what vipd left, is replaced with the desired content in one
     * transaction. What vipd left is the listing of the last check that found nothing to repair; right after
     * vipd's own update no such listing exists yet, and the table is judged by its shape instead (each set's
     * element count, each chain's rule count), then becomes the reference. Does nothing before the first
     * {@link #syncAll}.
     *
     * @return true when something had to be repaired
     */
    public synchronized boolean verify(ServiceTable table) throws IOException {
        if (!synced || retired) {
            return false;
        }
        boolean repaired = false;
        if (!routing.intact()) {
            log.atWarn().log("Policy routing entries for interception were missing or changed; reinstalling");
            routing.install();
            routingRepairs.increment();
            repaired = true;
        }
        CommandRunner.Result listing = runner.run(List.of("nft", "list", "table", "inet", "vipd"), null);
        List<String> found;
        NftListing now = null;
        if (!listing.ok()) {
            found = List.of("table inet vipd is missing");
        } else {
            now = NftListing.parse(listing.stdout());
            found = lastVerified != null
                    ? lastVerified.differencesTo(now)
                    : now.differencesToCounts(expectedElementCounts(), NftRuleset.ruleCounts(config));
        }
        if (found.isEmpty()) {
            lastVerified = now;
            return repaired;
        }
        log.atWarn()
                .addKeyValue("found", String.join("; ", found))
                .log("nftables table inet vipd was changed behind vipd's back; replacing it");
        syncAll(table);
        tableRepairs.increment();
        return true;
    }

    private Map<String, Integer> expectedElementCounts() {
        Map<String, Integer> out = new HashMap<>();
        for (NftSet set : NftSet.values()) {
            out.put(
                    (set.map() ? "map " : "set ") + set.setName(),
                    counts.getOrDefault(set, Map.of()).size());
        }
        return out;
    }

    /**
     * Serves NodePorts on other node addresses from now on (the node's addresses changed): the table is
     * replaced with content for them in one transaction, once it has been synced.
     */
    public synchronized void setNodePortAddresses(List<java.net.InetAddress> addresses, ServiceTable table)
            throws IOException {
        if (config.nodePortAddresses().equals(addresses)) {
            return;
        }
        config = config.withNodePortAddresses(addresses);
        if (synced && !retired) {
            syncAll(table);
        }
    }

    /**
     * Stops touching the table for good (after a hand-over to a successor). Waits for a check under way, so
     * none of this process's repairs can land after it returns.
     */
    public synchronized void retire() {
        retired = true;
    }

    /** The elements every set should hold now. */
    public synchronized Map<NftSet, Set<String>> desired() {
        Map<NftSet, Set<String>> out = new EnumMap<>(NftSet.class);
        counts.forEach((set, els) -> out.put(set, new java.util.TreeSet<>(els.keySet())));
        return out;
    }

    /** Every SCTP service port's sets and chains, in the order they may be declared (elements not included). */
    public synchronized SctpForwarding.Rules allSctp() {
        Map<String, String> sets = new LinkedHashMap<>();
        Map<String, List<String>> chains = new LinkedHashMap<>();
        sctp.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            sets.putAll(e.getValue().sets());
            chains.putAll(e.getValue().chains());
        });
        return new SctpForwarding.Rules(sets, chains, Map.of());
    }

    /** What a service port puts in the sets and maps: interception, reject/drop/firewall and SCTP forwarding. */
    private Map<NftSet, Set<String>> contribution(ServicePortEntry entry, SctpForwarding.Rules sctp) {
        Map<NftSet, Set<String>> c = NftElements.of(entry, config.nodePortAddresses());
        sctp.elements()
                .forEach((set, els) ->
                        c.computeIfAbsent(set, k -> new LinkedHashSet<>()).addAll(els));
        return c;
    }

    /** nft transactions applied so far. */
    public synchronized long transactions() {
        return transactions;
    }

    /** Removes the table and the policy routing entries; harmless when they are absent. */
    public static void cleanup(CommandRunner runner, InterceptionConfig config) throws IOException {
        CommandRunner.Result r = runner.run(NFT, NftRuleset.delete());
        if (!r.ok()) {
            throw new IOException("nft: " + r.stderr().trim());
        }
        new PolicyRouting(runner, config).remove();
    }

    /** Leaves the table and routes in place: interception must outlive a restart of vipd. */
    @Override
    public void close() {}

    private void change(
            Map<NftSet, Set<String>> contribution,
            int delta,
            Map<NftSet, Set<String>> deletions,
            Map<NftSet, Set<String>> additions) {
        contribution.forEach((set, els) -> {
            Map<String, Integer> c = counts.computeIfAbsent(set, k -> new HashMap<>());
            for (String el : els) {
                int before = c.getOrDefault(el, 0);
                int after = before + delta;
                if (after <= 0) {
                    c.remove(el);
                } else {
                    c.put(el, after);
                }
                if (before == 0 && after > 0) {
                    additions.computeIfAbsent(set, k -> new LinkedHashSet<>()).add(el);
                } else if (before > 0 && after <= 0) {
                    deletions.computeIfAbsent(set, k -> new LinkedHashSet<>()).add(el);
                }
            }
        });
    }

    private void count(Map<NftSet, Set<String>> contribution, int delta) {
        change(contribution, delta, new EnumMap<>(NftSet.class), new EnumMap<>(NftSet.class));
    }

    private void apply(String script) throws IOException {
        CommandRunner.Result r = runner.run(NFT, script);
        if (!r.ok()) {
            syncFailures.increment();
            throw new IOException("nft -f - failed: " + r.stderr().trim());
        }
        transactions++;
        lastVerified = null;
    }
}
