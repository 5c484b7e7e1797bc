package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PickersTest {
    private static final Backend A = Backend.parse("10.0.0.1:80");
    private static final Backend B = Backend.parse("10.0.0.2:80");
    private static final Backend C = Backend.parse("10.0.0.3:80");
    private static final Backend D = Backend.parse("10.0.0.4:80");

    private final ConnectionCounts counts = new ConnectionCounts();

    @Test
    void roundRobinCyclesInCanonicalOrderSkippingWeightZero() {
        Picker p = Pickers.roundRobin(BackendSet.of(C, A, B.withWeight(0), D));
        int[] got = new int[7];
        for (int i = 0; i < got.length; i++) {
            got[i] = p.pick(0);
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
            hits[p.pick(i)]++;
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
            hits[p.pick(i)]++;
        }
        assertThat(hits[2]).isZero();
        assertThat((double) hits[0] / draws).isBetween(0.22, 0.28);
        assertThat((double) hits[1] / draws).isBetween(0.72, 0.78);
    }

    @Test
    void leastConnectionsPicksTheFewestAndFollowsTheCountHook() {
        BackendSet set = BackendSet.of(A, B, C);
        Picker p = Pickers.leastConnections(set, counts);
        counts.opened(A.key());
        counts.opened(A.key());
        counts.opened(C.key());
        assertThat(p.pick(0)).isEqualTo(1);
        counts.opened(B.key());
        counts.opened(B.key());
        assertThat(p.pick(0)).isEqualTo(2);
        counts.closed(A.key());
        counts.closed(A.key());
        assertThat(p.pick(0)).isZero();
        assertThat(counts.get(A.key())).isZero();
    }

    @Test
    void leastConnectionsWeighsLoadByWeightAndSkipsWeightZero() {
        BackendSet set = BackendSet.of(A.withWeight(3), B.withWeight(1), C.withWeight(0));
        Picker p = Pickers.leastConnections(set, counts);
        for (int i = 0; i < 2; i++) {
            counts.opened(A.key());
        }
        counts.opened(B.key());
        // A: 2/3 < B: 1/1; C would be 0 but has weight 0.
        assertThat(p.pick(0)).isZero();
        counts.opened(A.key());
        counts.opened(A.key());
        // A: 4/3 > B: 1/1.
        assertThat(p.pick(0)).isEqualTo(1);
    }

    @Test
    void leastConnectionsSharesNewFlowsAmongEqualBackends() {
        Picker p = Pickers.leastConnections(BackendSet.of(A, B, C), counts);
        Set<Integer> chosen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            chosen.add(p.pick(i));
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
            assertThat(p.pick(hash)).isEqualTo(table.lookup(hash));
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void weightZeroNeverPickedAndPreferenceIsDistinct(Algorithm algorithm) {
        BackendSet set = BackendSet.of(A, B.withWeight(0), C, D);
        Picker p = Pickers.of(algorithm, set, counts);
        for (long h = 0; h < 300; h++) {
            long hash = FlowHash.fmix64(h);
            assertThat(p.pick(hash)).isNotEqualTo(1).isBetween(0, 3);
            int[] out = new int[5];
            int n = p.preference(hash, out);
            assertThat(n).isEqualTo(3);
            assertThat(Arrays.stream(out, 0, n).boxed().toList()).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrder(0, 2, 3);
        }
        int[] one = new int[1];
        assertThat(p.preference(7, one)).isEqualTo(1);
        assertThat(one[0]).isNotEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void emptyOrAllZeroSetsPickNothing(Algorithm algorithm) {
        for (BackendSet set : List.of(BackendSet.empty(), BackendSet.of(A.withWeight(0)))) {
            Picker p = Pickers.of(algorithm, set, counts);
            assertThat(p.pick(1)).isEqualTo(-1);
            assertThat(p.preference(1, new int[3])).isZero();
        }
    }

    @Test
    void maglevHonoursAnExplicitTableSizeAndFallsBackWhenTooSmall() {
        BackendSet set = BackendSet.of(A, B, C, D);
        Picker explicit = Pickers.of(Algorithm.MAGLEV, set, counts, 7);
        MaglevTable seven = MaglevTable.build(set.keys(), set.weights(), 7);
        Picker tooSmall = Pickers.maglev(set, 3);
        MaglevTable byDefault = MaglevTable.build(set.keys(), set.weights());
        for (long h = 0; h < 500; h++) {
            long hash = FlowHash.fmix64(h);
            assertThat(explicit.pick(hash)).isEqualTo(seven.lookup(hash));
            assertThat(tooSmall.pick(hash)).isEqualTo(byDefault.lookup(hash));
        }
    }

    @Test
    void connectionCountsForgetIdleCountersOfGoneBackends() {
        counts.opened(A.key());
        counts.opened(B.key());
        counts.closed(B.key());
        counts.counter(C.key());
        assertThat(counts.retainAll(Set.of(C.key()))).as("idle once: kept for now").isZero();
        assertThat(counts.retainAll(Set.of(C.key()))).as("idle twice in a row: dropped").isEqualTo(1);
        assertThat(counts.size()).isEqualTo(2);
        assertThat(counts.get(A.key())).isEqualTo(1);
    }

    @Test
    void aCounterUsedBetweenTwoPrunesIsNotDropped() {
        counts.counter(B.key());
        counts.retainAll(Set.of());
        counts.opened(B.key());
        counts.retainAll(Set.of());
        counts.closed(B.key());

        assertThat(counts.retainAll(Set.of())).as("idle again only since the last prune").isZero();
        assertThat(counts.size()).isEqualTo(1);
        assertThat(counts.retainAll(Set.of())).isEqualTo(1);
    }
}
