package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PickersTest {
    private static final Backend A = Backend.parse("10.0.0.1:80");
    private static final Backend B = Backend.parse("10.0.0.2:80");
    private static final Backend C = Backend.parse("10.0.0.3:80");
    private static final Backend D = Backend.parse("10.0.0.4:80");

    /** Active connections per backend key, as the data plane would hand them to the picker. */
    private final Map<String, Integer> active = new HashMap<>();

    private final BackendLoad load = key -> active.getOrDefault(key, 0);

    private void opened(Backend b) {
        active.merge(b.key(), 1, Integer::sum);
    }

    private void closed(Backend b) {
        active.merge(b.key(), -1, Integer::sum);
    }

    @Test
    void roundRobinCyclesInCanonicalOrderSkippingWeightZero() {
        Picker p = Pickers.roundRobin(BackendSet.of(C, A, B.withWeight(0), D));
        int[] got = new int[7];
        for (int i = 0; i < got.length; i++) {
            got[i] = p.pick(0, load);
        }
        // Indexes in the set A, B, C, D: B (1) has weight 0.
        assertThat(got).containsExactly(0, 2, 3, 0, 2, 3, 0);
    }

    @Test
    void randomSpreadsEvenlyWithEqualWeights() {
        Picker p = Pickers.random(BackendSet.of(A, B, C));
        int[] hits = new int[3];
        int draws = 30_000;
        for (int i = 0; i < draws; i++) {
            hits[p.pick(i, load)]++;
        }
        for (int h : hits) {
            // Each share is 1/3; ±3 points is more than ten standard deviations.
            assertThat((double) h / draws).isBetween(0.303, 0.363);
        }
    }

    @Test
    void randomFollowsWeights() {
        Picker p = Pickers.random(BackendSet.of(A.withWeight(1), B.withWeight(3), C.withWeight(0)));
        int[] hits = new int[3];
        int draws = 40_000;
        for (int i = 0; i < draws; i++) {
            hits[p.pick(i, load)]++;
        }
        assertThat(hits[2]).isZero();
        assertThat((double) hits[0] / draws).isBetween(0.22, 0.28);
        assertThat((double) hits[1] / draws).isBetween(0.72, 0.78);
    }

    @Test
    void leastConnectionsPicksTheFewestByTheLoadGivenAtPickTime() {
        BackendSet set = BackendSet.of(A, B, C);
        Picker p = Pickers.leastConnections(set);
        opened(A);
        opened(A);
        opened(C);
        assertThat(p.pick(0, load)).isEqualTo(1);
        opened(B);
        opened(B);
        assertThat(p.pick(0, load)).isEqualTo(2);
        closed(A);
        closed(A);
        assertThat(p.pick(0, load)).isZero();
        assertThat(load.activeConnections(A.key())).isZero();
    }

    @Test
    void leastConnectionsWeighsLoadByWeightAndSkipsWeightZero() {
        BackendSet set = BackendSet.of(A.withWeight(3), B.withWeight(1), C.withWeight(0));
        Picker p = Pickers.leastConnections(set);
        for (int i = 0; i < 2; i++) {
            opened(A);
        }
        opened(B);
        // A: 2/3 < B: 1/1; C would be 0 but has weight 0.
        assertThat(p.pick(0, load)).isZero();
        opened(A);
        opened(A);
        // A: 4/3 > B: 1/1.
        assertThat(p.pick(0, load)).isEqualTo(1);
    }

    @Test
    void leastConnectionsSharesNewFlowsAmongEqualBackends() {
        Picker p = Pickers.leastConnections(BackendSet.of(A, B, C));
        Set<Integer> chosen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            chosen.add(p.pick(i, load));
        }
        assertThat(chosen).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void maglevPickerIsTheTableLookup() {
        BackendSet set = BackendSet.of(A, B, C, D);
        MaglevTable table = MaglevTable.build(set.keys(), set.weights());
        Picker p = Pickers.maglev(set);
        for (long h = 0; h < 1000; h++) {
            long hash = FlowHash.fmix64(h);
            assertThat(p.pick(hash, load)).isEqualTo(table.lookup(hash));
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void weightZeroNeverPickedAndPreferenceIsDistinct(Algorithm algorithm) {
        BackendSet set = BackendSet.of(A, B.withWeight(0), C, D);
        Picker p = Pickers.of(algorithm, set);
        for (long h = 0; h < 300; h++) {
            long hash = FlowHash.fmix64(h);
            assertThat(p.pick(hash, load)).isNotEqualTo(1).isBetween(0, 3);
            int[] out = new int[5];
            int n = p.preference(hash, load, out);
            assertThat(n).isEqualTo(3);
            assertThat(Arrays.stream(out, 0, n).boxed().toList())
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrder(0, 2, 3);
        }
        int[] one = new int[1];
        assertThat(p.preference(7, load, one)).isEqualTo(1);
        assertThat(one[0]).isNotEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void emptyOrAllZeroSetsPickNothing(Algorithm algorithm) {
        for (BackendSet set : List.of(BackendSet.empty(), BackendSet.of(A.withWeight(0)))) {
            Picker p = Pickers.of(algorithm, set);
            assertThat(p.pick(1, load)).isEqualTo(-1);
            assertThat(p.preference(1, load, new int[3])).isZero();
        }
    }

    @Test
    void maglevHonoursAnExplicitTableSizeAndFallsBackWhenTooSmall() {
        BackendSet set = BackendSet.of(A, B, C, D);
        Picker explicit = Pickers.of(Algorithm.MAGLEV, set, 7);
        MaglevTable seven = MaglevTable.build(set.keys(), set.weights(), 7);
        Picker tooSmall = Pickers.maglev(set, 3);
        MaglevTable byDefault = MaglevTable.build(set.keys(), set.weights());
        for (long h = 0; h < 500; h++) {
            long hash = FlowHash.fmix64(h);
            assertThat(explicit.pick(hash, load)).isEqualTo(seven.lookup(hash));
            assertThat(tooSmall.pick(hash, load)).isEqualTo(byDefault.lookup(hash));
        }
    }
}
