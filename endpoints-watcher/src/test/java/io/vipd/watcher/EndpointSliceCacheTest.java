package io.vipd.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.NamespacedName;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointSliceCacheTest {
    private final EndpointSliceCache cache = new EndpointSliceCache();
    private final NamespacedName sliceKey = NamespacedName.of("ns", "web-1");
    private final NamespacedName web = NamespacedName.of("ns", "web");
    private final NamespacedName api = NamespacedName.of("ns", "api");

    private static EndpointSliceInfo slice(NamespacedName service, int port) {
        return new EndpointSliceInfo(
                service,
                "web-1",
                List.of(new EndpointSliceInfo.Port("http", io.vipd.lb.Protocol.TCP, port)),
                List.of());
    }

    @Test
    void aSliceRelabelledToAnotherServiceLeavesTheFirst() {
        cache.update(sliceKey, slice(web, 80));
        cache.checkout();

        assertThat(cache.update(sliceKey, slice(api, 80))).isTrue();

        assertThat(cache.checkout()).containsExactlyInAnyOrder(web, api);
        assertThat(cache.applied(web)).isEmpty();
        assertThat(cache.applied(api)).containsExactly(slice(api, 80));
        assertThat(cache.appliedServices()).containsExactly(api);
    }

    @Test
    void aSliceReturningToWhatTheLastCheckoutTookIsNoChange() {
        cache.update(sliceKey, slice(web, 80));
        cache.checkout();

        assertThat(cache.update(sliceKey, slice(web, 81))).isTrue();
        assertThat(cache.pendingServices()).isEqualTo(1);
        assertThat(cache.applied(web)).containsExactly(slice(web, 80));
        assertThat(cache.update(sliceKey, slice(web, 80))).isTrue();
        assertThat(cache.pendingServices()).isZero();
        assertThat(cache.update(sliceKey, slice(web, 80))).isFalse();

        assertThat(cache.update(sliceKey, null)).isTrue();
        assertThat(cache.checkout()).containsExactly(web);
        assertThat(cache.appliedServices()).isEmpty();
    }
}
