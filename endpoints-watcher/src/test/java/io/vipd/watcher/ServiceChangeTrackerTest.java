package io.vipd.watcher;

import static io.vipd.watcher.TestObjects.port;
import static io.vipd.watcher.TestObjects.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vipd.lb.NamespacedName;
import org.junit.jupiter.api.Test;

class ServiceChangeTrackerTest {
    private final ServiceChangeTracker tracker =
            new ServiceChangeTracker(new WatcherMetrics(new SimpleMeterRegistry()));
    private final NamespacedName web = NamespacedName.of("ns", "web");
    private final Service v1 = service("ns", "web", "10.96.0.1", port("http", "TCP", 80));
    private final Service v2 = service("ns", "web", "10.96.0.1", port("http", "TCP", 8080));

    @Test
    void aSyncReadsWhatItsCheckoutTookNotWhatArrivedSince() {
        tracker.update(null, v1);
        assertThat(tracker.checkout()).containsExactly(web);

        // Arrives while the sync builds: the sync still sees v1, and v2 waits for the next one.
        tracker.update(v1, v2);
        assertThat(tracker.applied(web).values()).extracting(p -> p.port()).containsExactly(80);
        assertThat(tracker.hasPending()).isTrue();

        // Back to what the table holds: nothing left to sync.
        tracker.update(v2, v1);
        assertThat(tracker.hasPending()).isFalse();
        assertThat(tracker.checkout()).isEmpty();
    }

    @Test
    void aDeletedServiceLeavesTheAppliedStateAtTheNextCheckout() {
        tracker.update(null, v1);
        tracker.checkout();
        tracker.update(v1, null);

        assertThat(tracker.appliedServices()).containsExactly(web);
        assertThat(tracker.checkout()).containsExactly(web);
        assertThat(tracker.appliedServices()).isEmpty();
        assertThat(tracker.applied(web)).isEmpty();
    }

    @Test
    void objectsWithoutANameAreIgnored() {
        Service unnamed = service("ns", "web", "10.96.0.1", port("http", "TCP", 80));
        unnamed.getMetadata().setName(null);

        assertThat(tracker.update(null, unnamed)).isFalse();
        assertThat(tracker.update(null, null)).isFalse();
        assertThat(tracker.hasPending()).isFalse();
    }
}
