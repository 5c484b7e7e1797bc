package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackendSetTest {
    private static Backend at(String ipPort, boolean local, String node) {
        Backend b = Backend.parse(ipPort);
        return new Backend(b.ip(), b.port(), 1, node, "", BackendState.READY, local, Set.of(), Set.of());
    }

    @Test
    void sortsByCanonicalKey() {
        BackendSet set = BackendSet.of(
                Backend.parse("[fd00::1]:80"),
                Backend.parse("10.0.0.10:80"),
                Backend.parse("10.0.0.2:80"),
                Backend.parse("10.0.0.2:443"),
                Backend.parse("[::1]:80"));
        // Plain string order of the keys, the order every node agrees on.
        assertThat(set.keys())
                .containsExactly("10.0.0.10:80", "10.0.0.2:443", "10.0.0.2:80", "[::1]:80", "[fd00::1]:80");
        assertThat(set.indexOf("10.0.0.2:80")).isEqualTo(2);
        assertThat(set.indexOf("10.0.0.3:80")).isEqualTo(-1);
        assertThat(set.containsKey("[::1]:80")).isTrue();
        assertThat(set.get(0).key()).isEqualTo(set.key(0));
    }

    @Test
    void deduplicatesPreferringTheLocalCopy() {
        BackendSet set = BackendSet.of(
                at("10.0.0.1:80", false, "a"),
                at("10.0.0.1:80", true, "b"),
                at("10.0.0.1:80", false, "c"),
                at("10.0.0.2:80", false, "d"),
                at("10.0.0.2:80", false, "e"));
        assertThat(set.size()).isEqualTo(2);
        assertThat(set.get(0).local()).isTrue();
        assertThat(set.get(0).nodeName()).isEqualTo("b");
        // Without a local copy the first one seen stays.
        assertThat(set.get(1).nodeName()).isEqualTo("d");
    }

    @Test
    void equalityIsByContentAndOrderFree() {
        Backend a = Backend.parse("10.0.0.1:80");
        Backend b = Backend.parse("10.0.0.2:80");
        assertThat(BackendSet.of(a, b)).isEqualTo(BackendSet.of(b, a)).hasSameHashCodeAs(BackendSet.of(b, a));
        assertThat(BackendSet.of(a, b)).isNotEqualTo(BackendSet.of(a, b.withWeight(2)));
        assertThat(BackendSet.of(List.of())).isSameAs(BackendSet.empty());
    }

    @Test
    void weightsAndEligibility() {
        BackendSet set = BackendSet.of(
                Backend.parse("10.0.0.1:80").withWeight(0),
                Backend.parse("10.0.0.2:80"),
                Backend.parseWeighted("10.0.0.3:80=5"));
        assertThat(set.weights()).containsExactly(0, 1, 5);
        assertThat(set.eligibleCount()).isEqualTo(2);
    }

    @Test
    void backendValidation() {
        assertThatThrownBy(() -> Backend.parseWeighted("10.0.0.1:80=-1")).hasMessageContaining("negative weight");
        assertThatThrownBy(() -> Backend.parseWeighted("10.0.0.1:80=x")).hasMessageContaining("bad weight");
        assertThatThrownBy(() -> Backend.parse("10.0.0.1:70000")).hasMessageContaining("1..65535");
        assertThatThrownBy(() -> Backend.of(Addresses.parseIp("10.0.0.1"), 0)).hasMessageContaining("1..65535");
        assertThat(Backend.parseWeighted("[fd00::1]:80=7").weight()).isEqualTo(7);
        assertThat(Backend.parseWeighted("[fd00::1]:80").weight()).isEqualTo(1);
    }
}
