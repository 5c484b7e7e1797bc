package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.Addresses;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendState;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CategorizeEndpoints, table-driven. The first cases restate upstream pkg/proxy/topology_test.go facts for
 * the current algorithm (hints are obeyed whenever every ready endpoint has them; terminating endpoints are
 * always a fallback); the rest are PreferSameNode and edge cases written from topology.go.
 *
 * <p>Expected values are exact: {@code null} means kube-proxy's nil, an empty set means empty and not nil.
 */
class TopologyTest {
    private static final String NODE = "node-1";

    /** Service flags: iTP/eTP Local and whether the port is externally accessible (a NodePort). */
    record Svc(boolean internalLocal, boolean externalLocal, boolean externallyAccessible) {
        boolean usesCluster() {
            return !internalLocal || externallyAccessible;
        }

        boolean usesLocal() {
            return internalLocal || (externalLocal && externallyAccessible);
        }
    }

    record Case(
            String name,
            String zone,
            boolean preferSameNodeGate,
            Svc svc,
            List<Backend> endpoints,
            Set<String> cluster,
            Set<String> local,
            Set<String> all,
            boolean hasAny) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final Svc CLUSTER = new Svc(false, false, false);
    static final Svc ITP_LOCAL = new Svc(true, false, false);
    static final Svc ETP_LOCAL_NODEPORT = new Svc(false, true, true);
    static final Svc ITP_LOCAL_NODEPORT = new Svc(true, false, true);
    static final Svc BOTH_LOCAL_NODEPORT = new Svc(true, true, true);
    static final Svc ETP_LOCAL_NOT_EXTERNAL = new Svc(false, true, false);

    /** An endpoint: flags R ready, S serving, T terminating, L local; z:a,b zone hints; n:x node hints. */
    static Backend ep(String ipPort, String... flags) {
        boolean ready = false;
        boolean serving = false;
        boolean terminating = false;
        boolean local = false;
        Set<String> zones = Set.of();
        Set<String> nodes = Set.of();
        for (String f : flags) {
            if (f.startsWith("z:")) {
                zones = Set.of(f.substring(2).split(","));
            } else if (f.startsWith("n:")) {
                nodes = Set.of(f.substring(2).split(","));
            } else {
                ready |= f.contains("R");
                serving |= f.contains("S");
                terminating |= f.contains("T");
                local |= f.contains("L");
            }
        }
        InetSocketAddress a = Addresses.parseIpPort(ipPort);
        return new Backend(
                a.getAddress(),
                a.getPort(),
                1,
                local ? NODE : "node-x",
                "",
                BackendState.of(ready, serving, terminating),
                local,
                zones,
                nodes);
    }

    static Set<String> set(String... keys) {
        return new TreeSet<>(Arrays.asList(keys));
    }

    static Case c(
            String name,
            String zone,
            Svc svc,
            List<Backend> eps,
            Set<String> cluster,
            Set<String> local,
            Set<String> all,
            boolean hasAny) {
        return new Case(name, zone, true, svc, eps, cluster, local, all, hasAny);
    }

    static List<Backend> fourZoned(String za, String zb, String zc, String zd) {
        return List.of(
                ep("10.1.2.3:80", "R", za),
                ep("10.1.2.4:80", "R", zb),
                ep("10.1.2.5:80", "R", zc),
                ep("10.1.2.6:80", "R", zd));
    }

    static Stream<Case> cases() {
        Set<String> allFour = set("10.1.2.3:80", "10.1.2.4:80", "10.1.2.5:80", "10.1.2.6:80");
        return Stream.of(
                // --- upstream facts (zone hints) ---
                c(
                        "hints used when every ready endpoint has them",
                        "zone-a",
                        CLUSTER,
                        fourZoned("z:zone-a", "z:zone-b", "z:zone-c", "z:zone-a"),
                        set("10.1.2.3:80", "10.1.2.6:80"),
                        null,
                        set("10.1.2.3:80", "10.1.2.6:80"),
                        true),
                c(
                        "eTP Local: topology ignored for local endpoints",
                        "zone-a",
                        ETP_LOCAL_NODEPORT,
                        List.of(
                                ep("10.1.2.3:80", "RL", "z:zone-a"), ep("10.1.2.4:80", "RL", "z:zone-b"),
                                ep("10.1.2.5:80", "R", "z:zone-c"), ep("10.1.2.6:80", "R", "z:zone-a")),
                        set("10.1.2.3:80", "10.1.2.6:80"),
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        set("10.1.2.3:80", "10.1.2.4:80", "10.1.2.6:80"),
                        true),
                c(
                        "iTP Local: topology ignored for local endpoints",
                        "zone-a",
                        ITP_LOCAL_NODEPORT,
                        List.of(
                                ep("10.1.2.3:80", "RL", "z:zone-a"), ep("10.1.2.4:80", "RL", "z:zone-b"),
                                ep("10.1.2.5:80", "R", "z:zone-c"), ep("10.1.2.6:80", "R", "z:zone-a")),
                        set("10.1.2.3:80", "10.1.2.6:80"),
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        set("10.1.2.3:80", "10.1.2.4:80", "10.1.2.6:80"),
                        true),
                c(
                        "empty node labels: no zone, no filtering",
                        "",
                        CLUSTER,
                        List.of(ep("10.1.2.3:80", "R", "z:zone-a")),
                        set("10.1.2.3:80"),
                        null,
                        set("10.1.2.3:80"),
                        true),
                c(
                        "node in a zone no endpoint is hinted for: no filtering",
                        "zone-b",
                        CLUSTER,
                        List.of(ep("10.1.2.3:80", "R", "z:zone-a")),
                        set("10.1.2.3:80"),
                        null,
                        set("10.1.2.3:80"),
                        true),
                c(
                        "unready endpoint is filtered out; hints still used",
                        "zone-a",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "R", "z:zone-a"), ep("10.1.2.4:80", "R", "z:zone-b"),
                                ep("10.1.2.5:80", "R", "z:zone-c"), ep("10.1.2.6:80", "", "z:zone-a")),
                        set("10.1.2.3:80"),
                        null,
                        set("10.1.2.3:80"),
                        true),
                c(
                        "only unready endpoints in own zone: no filtering",
                        "zone-a",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "", "z:zone-a"), ep("10.1.2.4:80", "R", "z:zone-b"),
                                ep("10.1.2.5:80", "R", "z:zone-c"), ep("10.1.2.6:80", "", "z:zone-a")),
                        set("10.1.2.4:80", "10.1.2.5:80"),
                        null,
                        set("10.1.2.4:80", "10.1.2.5:80"),
                        true),
                c(
                        "a ready endpoint without hints disables filtering",
                        "zone-a",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "R", "z:zone-a"), ep("10.1.2.4:80", "R", "z:zone-b"),
                                ep("10.1.2.5:80", "R"), ep("10.1.2.6:80", "R", "z:zone-a")),
                        allFour,
                        null,
                        allFour,
                        true),
                c(
                        "several hints per endpoint: any matching zone is kept",
                        "zone-c",
                        CLUSTER,
                        fourZoned("z:zone-a,zone-b,zone-c", "z:zone-b,zone-c", "z:zone-b,zone-d", "z:zone-c"),
                        set("10.1.2.3:80", "10.1.2.4:80", "10.1.2.6:80"),
                        null,
                        set("10.1.2.3:80", "10.1.2.4:80", "10.1.2.6:80"),
                        true),
                c(
                        "conflicting topology and localness merge allEndpoints",
                        "zone-a",
                        ETP_LOCAL_NODEPORT,
                        List.of(
                                ep("10.0.0.0:80", "RL", "z:zone-a"), ep("10.0.0.1:80", "RL", "z:zone-b"),
                                ep("10.0.0.2:80", "R", "z:zone-a"), ep("10.0.0.3:80", "R", "z:zone-b")),
                        set("10.0.0.0:80", "10.0.0.2:80"),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        set("10.0.0.0:80", "10.0.0.1:80", "10.0.0.2:80"),
                        true),
                c("iTP Local, no endpoints: everything nil", "", ITP_LOCAL, List.of(), null, null, null, false),
                c(
                        "iTP Local, all endpoints remote: local nil, hasAny",
                        "",
                        ITP_LOCAL,
                        List.of(ep("10.0.0.0:80", "R"), ep("10.0.0.1:80", "R")),
                        null,
                        null,
                        null,
                        true),
                c(
                        "iTP Local, all endpoints local",
                        "",
                        ITP_LOCAL,
                        List.of(ep("10.0.0.0:80", "RL"), ep("10.0.0.1:80", "RL")),
                        null,
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "iTP Local, some endpoints local",
                        "",
                        ITP_LOCAL,
                        List.of(ep("10.0.0.0:80", "RL"), ep("10.0.0.1:80", "R")),
                        null,
                        set("10.0.0.0:80"),
                        set("10.0.0.0:80"),
                        true),
                c(
                        "Cluster policy, no endpoint ready: empty, not nil",
                        "",
                        CLUSTER,
                        List.of(ep("10.0.0.0:80", ""), ep("10.0.0.1:80", "")),
                        set(),
                        null,
                        set(),
                        false),
                c(
                        "Cluster policy, some endpoints ready",
                        "",
                        CLUSTER,
                        List.of(ep("10.0.0.0:80", ""), ep("10.0.0.1:80", "R")),
                        set("10.0.0.1:80"),
                        null,
                        set("10.0.0.1:80"),
                        true),
                c(
                        "Cluster policy, all terminating: serving+terminating fallback",
                        "",
                        CLUSTER,
                        List.of(ep("10.0.0.0:80", "STL"), ep("10.0.0.1:80", "ST")),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        null,
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "iTP Local, eTP Cluster, some local",
                        "",
                        ITP_LOCAL_NODEPORT,
                        List.of(ep("10.0.0.0:80", "RL"), ep("10.0.0.1:80", "R")),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        set("10.0.0.0:80"),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "iTP Cluster, eTP Local, some local",
                        "",
                        ETP_LOCAL_NODEPORT,
                        List.of(ep("10.0.0.0:80", "RL"), ep("10.0.0.1:80", "R")),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        set("10.0.0.0:80"),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "iTP Local, eTP Local, some local",
                        "",
                        BOTH_LOCAL_NODEPORT,
                        List.of(ep("10.0.0.0:80", "RL"), ep("10.0.0.1:80", "R")),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        set("10.0.0.0:80"),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "iTP Local, eTP Local, all remote: local nil",
                        "",
                        BOTH_LOCAL_NODEPORT,
                        List.of(ep("10.0.0.0:80", "R"), ep("10.0.0.1:80", "R")),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        null,
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "iTP Local, eTP Local, all remote and terminating",
                        "",
                        BOTH_LOCAL_NODEPORT,
                        List.of(ep("10.0.0.0:80", "ST"), ep("10.0.0.1:80", "ST")),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        null,
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "eTP Local with terminating endpoints: local falls back on its own",
                        "",
                        ETP_LOCAL_NODEPORT,
                        List.of(
                                ep("10.0.0.0:80", "R"),
                                ep("10.0.0.1:80", "L"),
                                ep("10.0.0.2:80", "STL"),
                                ep("10.0.0.3:80", "ST")),
                        set("10.0.0.0:80"),
                        set("10.0.0.2:80"),
                        set("10.0.0.0:80", "10.0.0.2:80"),
                        true),
                c(
                        "eTP ignored when not externally accessible",
                        "",
                        ETP_LOCAL_NOT_EXTERNAL,
                        List.of(ep("10.0.0.0:80", "R"), ep("10.0.0.1:80", "RL")),
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        null,
                        set("10.0.0.0:80", "10.0.0.1:80"),
                        true),
                c(
                        "no cluster endpoints for an iTP Local internal-only service",
                        "",
                        ITP_LOCAL,
                        List.of(ep("10.0.0.0:80", "R"), ep("10.0.0.1:80", "RL")),
                        null,
                        set("10.0.0.1:80"),
                        set("10.0.0.1:80"),
                        true),
                // --- PreferSameNode (gate PreferSameTrafficDistribution) ---
                c(
                        "PreferSameNode: node hints win over zone hints",
                        "zone-a",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "R", "z:zone-a", "n:node-1"),
                                ep("10.1.2.4:80", "R", "z:zone-a", "n:node-2"),
                                ep("10.1.2.5:80", "R", "z:zone-b", "n:node-3")),
                        set("10.1.2.3:80"),
                        null,
                        set("10.1.2.3:80"),
                        true),
                new Case(
                        "PreferSameNode gate off: zone hints used",
                        "zone-a",
                        false,
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "R", "z:zone-a", "n:node-1"),
                                ep("10.1.2.4:80", "R", "z:zone-a", "n:node-2"),
                                ep("10.1.2.5:80", "R", "z:zone-b", "n:node-3")),
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        null,
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        true),
                c(
                        "PreferSameNode: one ready endpoint without node hints falls back to zones",
                        "zone-a",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "R", "z:zone-a", "n:node-1"),
                                ep("10.1.2.4:80", "R", "z:zone-a"),
                                ep("10.1.2.5:80", "R", "z:zone-b", "n:node-3")),
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        null,
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        true),
                c(
                        "PreferSameNode: no endpoint hinted for this node falls back to zones",
                        "zone-b",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "R", "z:zone-a", "n:node-2"),
                                ep("10.1.2.4:80", "R", "z:zone-b", "n:node-3")),
                        set("10.1.2.4:80"),
                        null,
                        set("10.1.2.4:80"),
                        true),
                // --- edge cases from topology.go ---
                c(
                        "unready endpoints without hints do not disable hints",
                        "zone-a",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "R", "z:zone-a"),
                                ep("10.1.2.4:80", "R", "z:zone-b"),
                                ep("10.1.2.5:80", "")),
                        set("10.1.2.3:80"),
                        null,
                        set("10.1.2.3:80"),
                        true),
                c(
                        "terminating fallback ignores topology",
                        "zone-a",
                        CLUSTER,
                        List.of(
                                ep("10.1.2.3:80", "ST", "z:zone-a"),
                                ep("10.1.2.4:80", "ST", "z:zone-b"),
                                ep("10.1.2.5:80", "", "z:zone-a")),
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        null,
                        set("10.1.2.3:80", "10.1.2.4:80"),
                        true),
                c(
                        "not serving endpoints are never used",
                        "",
                        BOTH_LOCAL_NODEPORT,
                        List.of(ep("10.0.0.0:80", "TL"), ep("10.0.0.1:80", "T")),
                        set(),
                        null,
                        set(),
                        false),
                c(
                        "topology plus local fallback: all is the deduped union",
                        "zone-a",
                        ETP_LOCAL_NODEPORT,
                        List.of(
                                ep("10.0.0.0:80", "R", "z:zone-a"),
                                ep("10.0.0.1:80", "R", "z:zone-b"),
                                ep("10.0.0.2:80", "STL", "z:zone-a")),
                        set("10.0.0.0:80"),
                        set("10.0.0.2:80"),
                        set("10.0.0.0:80", "10.0.0.2:80"),
                        true),
                c(
                        "local ready endpoints hide local terminating ones",
                        "",
                        ITP_LOCAL,
                        List.of(ep("10.0.0.0:80", "RL"), ep("10.0.0.1:80", "STL")),
                        null,
                        set("10.0.0.0:80"),
                        set("10.0.0.0:80"),
                        true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void categorize(Case tc) {
        Topology.Categorized got = Topology.categorize(
                tc.endpoints(), tc.svc().usesCluster(), tc.svc().usesLocal(), NODE, tc.zone(), tc.preferSameNodeGate());
        assertThat(keys(got.cluster())).as("cluster").isEqualTo(tc.cluster());
        assertThat(keys(got.local())).as("local").isEqualTo(tc.local());
        assertThat(keys(got.all())).as("all").isEqualTo(tc.all());
        assertThat(got.hasAny()).as("hasAny").isEqualTo(tc.hasAny());
        if (got.all() != null) {
            assertThat(new LinkedHashSet<>(got.all()))
                    .as("all has no duplicates")
                    .hasSameSizeAs(got.all());
        }
    }

    private static Set<String> keys(List<Backend> list) {
        return list == null ? null : list.stream().map(Backend::key).collect(Collectors.toCollection(TreeSet::new));
    }
}
