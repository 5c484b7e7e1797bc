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
    private final InterceptionConfig config;
    private final PolicyRouting routing;
    private final Map<ServicePortName, Map<NftSet, Set<String>>> contributions = new HashMap<>();
    private final Map<NftSet, Map<String, Integer>> counts = new EnumMap<>(NftSet.class);
    private final Counter syncFailures;
    private boolean synced;
    private long transactions;

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
        count(NftElements.node(config), 1);
        for (ServicePortEntry e : table.entries()) {
            Map<NftSet, Set<String>> c = NftElements.of(e, config.nodePortAddresses());
            contributions.put(e.name(), c);
            count(c, 1);
        }
        apply(NftRuleset.replace(config, desired()));
        synced = true;
        log.atInfo().addKeyValue("servicePorts", contributions.size()).log("nftables table inet vipd synced");
    }

    @Override
    public synchronized void onTableChanged(ServiceTable table, Set<ServicePortName> changed) {
        if (!synced) {
            return;
        }
        Map<NftSet, Set<String>> additions = new EnumMap<>(NftSet.class);
        Map<NftSet, Set<String>> deletions = new EnumMap<>(NftSet.class);
        for (ServicePortName name : changed) {
            ServicePortEntry entry = table.get(name);
            Map<NftSet, Set<String>> next =
                    entry == null ? Map.of() : NftElements.of(entry, config.nodePortAddresses());
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
        String script = NftRuleset.delta(additions, deletions);
        if (script.isEmpty()) {
            return;
        }
        try {
            apply(script);
        } catch (IOException e) {
            log.atWarn().addKeyValue("error", e.getMessage()).log("nftables update failed; replacing the table");
            try {
                apply(NftRuleset.replace(config, desired()));
            } catch (IOException again) {
                log.atError().addKeyValue("error", again.getMessage()).log("nftables table replace failed");
            }
        }
    }

    /**
     * Repairs what someone else removed: reinstalls policy routing and, when the table is gone, replaces it
     * with the desired content (kube-proxy's periodic full sync does the same for its rules). Does nothing
     * before the first {@link #syncAll}.
     *
     * @return true when something had to be repaired
     */
    public synchronized boolean verify(ServiceTable table) throws IOException {
        if (!synced) {
            return false;
        }
        boolean repaired = false;
        if (!routing.intact()) {
            routing.install();
            repaired = true;
        }
        if (!runner.run(List.of("nft", "list", "table", "inet", "vipd"), null).ok()) {
            syncAll(table);
            repaired = true;
        }
        if (repaired) {
            log.atWarn().log("nftables table or policy routing was missing; reinstalled");
        }
        return repaired;
    }

    /** The elements every set should hold now. */
    public synchronized Map<NftSet, Set<String>> desired() {
        Map<NftSet, Set<String>> out = new EnumMap<>(NftSet.class);
        counts.forEach((set, els) -> out.put(set, new java.util.TreeSet<>(els.keySet())));
        return out;
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
    }
}
