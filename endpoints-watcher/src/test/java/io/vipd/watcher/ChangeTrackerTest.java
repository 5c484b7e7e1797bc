package io.vipd.watcher;

import static io.vipd.watcher.TestObjects.ep;
import static io.vipd.watcher.TestObjects.node;
import static io.vipd.watcher.TestObjects.port;
import static io.vipd.watcher.TestObjects.service;
import static io.vipd.watcher.TestObjects.slice;
import static io.vipd.watcher.TestObjects.slicePort;
import static io.vipd.watcher.TrackerHarness.keys;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.vipd.lb.ServicePortEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChangeTrackerTest {
    private final Service web =
            service("ns", "web", "10.96.0.1", port("http", "TCP", 80), port("metrics", "TCP", 9090));

    private static EndpointSlice webSlice(String name, String... ips) {
        return slice(
                "ns",
                name,
                "web",
                "IPv4",
                List.of(slicePort("http", "TCP", 8080)),
                java.util.Arrays.stream(ips)
                        .map(ip -> ep(ip, ""))
                        .toArray(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint[]::new));
    }

    @Test
    void nothingIsAppliedBeforeBothListsSynced() {
        TrackerHarness h = new TrackerHarness(FeatureGates.defaults(), false);
        assertThat(h.tracker.onServiceUpdate(null, web)).isFalse();
        assertThat(h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1"), false))
                .isFalse();
        assertThat(h.tracker.sync().changed()).isFalse();
        assertThat(h.table.size()).isZero();
        assertThat(h.tracker.servicesSynced()).isFalse();
        assertThat(h.tracker.initialized()).isFalse();
        assertThat(h.tracker.endpointSlicesSynced()).isTrue();
        SyncResult r = h.tracker.sync();
        assertThat(r.full()).isTrue();
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints())).containsExactly("10.0.0.1:8080");
    }

    @Test
    void endpointsAreMergedAcrossSlicesAndSurviveMovingBetweenThem() {
        TrackerHarness h = new TrackerHarness();
        h.tracker.onServiceUpdate(null, web);
        h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1", "10.0.0.2"), false);
        h.tracker.onEndpointSliceUpdate(webSlice("web-2", "10.0.0.3"), false);
        h.tracker.sync();
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints()))
                .containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");

        // The controller moves 10.0.0.2 to web-2: added there first, then removed from web-1, with a sync between.
        h.tracker.onEndpointSliceUpdate(webSlice("web-2", "10.0.0.3", "10.0.0.2"), false);
        h.tracker.sync();
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints()))
                .containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");
        h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1"), false);
        h.tracker.sync();
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints()))
                .containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080");

        h.tracker.onEndpointSliceUpdate(webSlice("web-2", "10.0.0.3", "10.0.0.2"), true);
        h.tracker.sync();
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints())).containsExactly("10.0.0.1:8080");
    }

    @Test
    void changesThatReturnToTheSyncedStateCollapse() {
        TrackerHarness h = new TrackerHarness();
        h.tracker.onServiceUpdate(null, web);
        h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1"), false);
        h.tracker.sync();
        ServicePortEntry before = h.entry("ns", "web", "http");
        long generation = h.table.generation();

        Service changed = new ServiceBuilder(web)
                .editSpec()
                .withSessionAffinity("ClientIP")
                .endSpec()
                .build();
        assertThat(h.tracker.onServiceUpdate(web, changed)).isTrue();
        assertThat(h.tracker.onServiceUpdate(changed, web)).isFalse();
        assertThat(h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1", "10.0.0.2"), false))
                .isTrue();
        assertThat(h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1"), false))
                .isFalse();
        // a re-delivered identical object (resync, managedFields-only update) is no change at all
        assertThat(h.tracker.onServiceUpdate(
                        web,
                        new ServiceBuilder(web)
                                .editMetadata()
                                .withResourceVersion("42")
                                .endMetadata()
                                .build()))
                .isFalse();
        assertThat(h.tracker.pending()).isFalse();
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_service_changes_pending")
                        .gauge()
                        .value())
                .isZero();

        SyncResult r = h.tracker.sync();
        assertThat(r.changed()).isFalse();
        assertThat(h.table.generation()).isEqualTo(generation);
        assertThat(h.entry("ns", "web", "http")).isSameAs(before);
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_service_changes_total")
                        .counter()
                        .count())
                .isEqualTo(3);
    }

    @Test
    void unchangedServicePortsAreNotRebuilt() {
        TrackerHarness h = new TrackerHarness();
        Service other = service("ns", "other", "10.96.0.2", port("http", "TCP", 80));
        h.tracker.onServiceUpdate(null, web);
        h.tracker.onServiceUpdate(null, other);
        h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1"), false);
        h.tracker.onEndpointSliceUpdate(
                slice("ns", "other-1", "other", slicePort("http", "TCP", 80), ep("10.0.1.1", "")), false);
        h.tracker.sync();
        ServicePortEntry otherBefore = h.entry("ns", "other", "http");
        ServicePortEntry metricsBefore = h.entry("ns", "web", "metrics");
        ServicePortEntry httpBefore = h.entry("ns", "web", "http");

        h.tracker.onEndpointSliceUpdate(webSlice("web-1", "10.0.0.1", "10.0.0.2"), false);
        SyncResult r = h.tracker.sync();
        assertThat(r.full()).isFalse();
        assertThat(r.servicesExamined()).isEqualTo(1);
        assertThat(r.upserted()).extracting(Object::toString).containsExactly("ns/web:http/TCP");
        assertThat(h.entry("ns", "other", "http")).isSameAs(otherBefore);
        // the slice has no "metrics" port, so that port's inputs did not change
        assertThat(h.entry("ns", "web", "metrics")).isSameAs(metricsBefore);
        assertThat(h.entry("ns", "web", "http")).isNotSameAs(httpBefore);
    }

    @Test
    void aZoneChangeResyncsEverythingButRebuildsOnlyWhatDepends() {
        TrackerHarness h = new TrackerHarness();
        h.tracker.onNodeUpdate(node(TrackerHarness.NODE, "zone-a"));
        h.tracker.onServiceUpdate(null, web);
        h.tracker.onEndpointSliceUpdate(
                slice(
                        "ns",
                        "web-1",
                        "web",
                        slicePort("http", "TCP", 80),
                        new EndpointBuilder()
                                .withAddresses("10.0.0.1")
                                .withNewHints()
                                .addNewForZone("zone-a")
                                .endHints()
                                .build(),
                        new EndpointBuilder()
                                .withAddresses("10.0.0.2")
                                .withNewHints()
                                .addNewForZone("zone-b")
                                .endHints()
                                .build()),
                false);
        Service plain = service("ns", "plain", "10.96.0.5", port("http", "TCP", 80));
        h.tracker.onServiceUpdate(null, plain);
        h.tracker.onEndpointSliceUpdate(
                slice("ns", "plain-1", "plain", slicePort("http", "TCP", 80), ep("10.0.1.1", TrackerHarness.NODE)),
                false);
        h.tracker.sync();
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints())).containsExactly("10.0.0.1:80");
        ServicePortEntry plainBefore = h.entry("ns", "plain", "http");

        assertThat(h.tracker.onNodeUpdate(node("some-other-node", "zone-b"))).isFalse();
        assertThat(h.tracker.onNodeUpdate(node(TrackerHarness.NODE, "zone-b"))).isTrue();
        SyncResult r = h.tracker.sync();
        assertThat(r.full()).isTrue();
        assertThat(keys(h.entry("ns", "web", "http").clusterEndpoints())).containsExactly("10.0.0.2:80");
        assertThat(h.tracker.node().zone()).isEqualTo("zone-b");
        // without hints the zone cannot matter: the entry is kept as it was
        assertThat(h.entry("ns", "plain", "http")).isSameAs(plainBefore);
        assertThat(r.upserted()).extracting(Object::toString).containsExactly("ns/web:http/TCP");
    }

    @Test
    void nodeEligibilityFollowsDeletionAndTaint() {
        TrackerHarness h = new TrackerHarness();
        assertThat(h.tracker.node().eligible()).isTrue();
        h.tracker.onNodeUpdate(node(TrackerHarness.NODE, "z"));
        h.tracker.sync();
        assertThat(h.tracker.pending()).isFalse();
        // A change of eligibility alone asks for a sync, whose observer call carries it to /healthz.
        boolean queued =
                h.tracker.onNodeUpdate(new io.fabric8.kubernetes.api.model.NodeBuilder(node(TrackerHarness.NODE, "z"))
                        .withNewSpec()
                        .addNewTaint()
                        .withKey(NodeInfo.TO_BE_DELETED_TAINT)
                        .withEffect("NoSchedule")
                        .endTaint()
                        .endSpec()
                        .build());
        assertThat(h.tracker.node().eligible()).isFalse();
        assertThat(queued).isTrue();
        h.tracker.sync();
        assertThat(h.tracker.pending()).isFalse();
        h.tracker.onNodeUpdate(node(TrackerHarness.NODE, "z"));
        assertThat(h.tracker.node().eligible()).isTrue();
        assertThat(h.tracker.pending()).isTrue();
        h.tracker.onNodeUpdate(new io.fabric8.kubernetes.api.model.NodeBuilder(node(TrackerHarness.NODE, "z"))
                .editMetadata()
                .withDeletionTimestamp("2026-01-01T00:00:00Z")
                .endMetadata()
                .build());
        assertThat(h.tracker.node().eligible()).isFalse();
    }

    @Test
    void deletingTheServiceRemovesItsPortsAndRequestFullSyncReappliesNothingNew() {
        TrackerHarness h = new TrackerHarness();
        h.tracker.onServiceUpdate(null, web);
        h.tracker.sync();
        assertThat(h.table.size()).isEqualTo(2);
        assertThat(h.tracker.requestFullSync()).isTrue();
        SyncResult full = h.tracker.sync();
        assertThat(full.full()).isTrue();
        assertThat(full.changed()).isFalse();
        h.tracker.onServiceUpdate(web, null);
        assertThat(h.tracker.sync().removed()).hasSize(2);
        assertThat(h.table.size()).isZero();
    }

    @Test
    void observerAndMetricsSeeQueuedAndSyncedChanges() {
        TrackerHarness h = new TrackerHarness();
        List<String> events = new ArrayList<>();
        h.tracker.setObserver(new SyncObserver() {
            @Override
            public void queued() {
                events.add("queued");
            }

            @Override
            public void synced() {
                events.add("synced");
            }
        });
        h.tracker.onServiceUpdate(null, web);
        EndpointSlice s = new EndpointSliceBuilder(webSlice("web-1", "10.0.0.1"))
                .editMetadata()
                .addToAnnotations(
                        EndpointSliceConversions.TRIGGER_TIME_ANNOTATION,
                        Instant.now().plusSeconds(1).toString())
                .endMetadata()
                .build();
        h.tracker.onEndpointSliceUpdate(s, false);
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_endpoint_changes_pending")
                        .gauge()
                        .value())
                .isEqualTo(1);
        h.tracker.sync();
        assertThat(events).containsExactly("queued", "queued", "synced");
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_endpoint_changes_pending")
                        .gauge()
                        .value())
                .isZero();
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_endpoint_changes_total")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_duration_seconds")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(h.registry
                        .get("kubeproxy_sync_full_proxy_rules_duration_seconds")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(h.registry
                        .get("kubeproxy_sync_partial_proxy_rules_duration_seconds")
                        .timer()
                        .count())
                .isZero();
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_last_timestamp_seconds")
                        .gauge()
                        .value())
                .isPositive();
        assertThat(h.registry
                        .get("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds")
                        .gauge()
                        .value())
                .isPositive();
        // the trigger time lies in the future relative to the sync: recorded only when not negative
        assertThat(h.registry
                        .get("kubeproxy_network_programming_duration_seconds")
                        .timer()
                        .count())
                .isZero();

        EndpointSlice s2 = new EndpointSliceBuilder(webSlice("web-1", "10.0.0.2"))
                .editMetadata()
                .addToAnnotations(
                        EndpointSliceConversions.TRIGGER_TIME_ANNOTATION,
                        Instant.now().toString())
                .endMetadata()
                .build();
        h.tracker.onEndpointSliceUpdate(s2, false);
        h.tracker.sync();
        assertThat(h.registry
                        .get("kubeproxy_network_programming_duration_seconds")
                        .timer()
                        .count())
                .isEqualTo(1);
    }
}
