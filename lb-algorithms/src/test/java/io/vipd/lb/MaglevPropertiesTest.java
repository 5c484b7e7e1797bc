package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class MaglevPropertiesTest {
    private static final int[] SMALL_PRIMES = {7, 11, 13, 101, 251, 509, 1021, 2039, 4093};

    @Provide
    Arbitrary<Integer> primes() {
        return Arbitraries.of(Arrays.stream(SMALL_PRIMES).boxed().toList());
    }

    @Property(tries = 200)
    void equalWeightsFillEverySlotWithMaxMinusMinAtMostOne(
            @ForAll @IntRange(min = 1, max = 300) int n, @ForAll("primes") int m, @ForAll long seed) {
        n = Math.min(n, m);
        BackendSet set = BackendSet.of(TestBackends.randomIpv4(seed, n));
        int[] counts = TestBackends.table(set, m).counts();
        int min = Arrays.stream(counts).min().orElseThrow();
        int max = Arrays.stream(counts).max().orElseThrow();
        assertThat(Arrays.stream(counts).sum()).isEqualTo(m);
        assertThat(max - min).isLessThanOrEqualTo(1);
        assertThat(min).isEqualTo(m / n);
    }

    @Property(tries = 200)
    void weightsGiveEachBackendItsShareWithinOneEntryAndWeightZeroNothing(
            @ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 1000) Integer> weights,
            @ForAll("primes") int m) {
        int[] w = weights.stream().mapToInt(Integer::intValue).toArray();
        long total = Arrays.stream(w).asLongStream().sum();
        long positive = Arrays.stream(w).filter(x -> x > 0).count();
        if (total == 0 || positive > m) {
            return;
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            keys.add(String.format("10.0.%d.%d:80", i / 256, i % 256));
        }
        int[] counts = MaglevTable.build(keys, w, m).counts();
        assertThat(Arrays.stream(counts).sum()).isEqualTo(m);
        for (int i = 0; i < w.length; i++) {
            double exact = (double) w[i] * m / total;
            assertThat(Math.abs(counts[i] - exact))
                    .as("backend %d weight %d", i, w[i])
                    .isLessThan(1.0);
            if (w[i] == 0) {
                assertThat(counts[i]).isZero();
            }
        }
    }

    @Property(tries = 100)
    void inputOrderDoesNotMatter(
            @ForAll @IntRange(min = 1, max = 200) int n, @ForAll long seed, @ForAll("primes") int m) {
        n = Math.min(n, m);
        List<Backend> backends = new ArrayList<>(TestBackends.randomIpv4(seed, n));
        BackendSet sorted = BackendSet.of(backends);
        Collections.shuffle(backends, new Random(seed ^ 0x5eed));
        BackendSet shuffled = BackendSet.of(backends);
        assertThat(TestBackends.table(shuffled, m).digest(shuffled.keys()))
                .isEqualTo(TestBackends.table(sorted, m).digest(sorted.keys()));
    }

    /** The two fill strategies implement one schedule: identical tables for any quotas. */
    @Property(tries = 300)
    void heapAndRoundScheduleBuildTheSameTable(
            @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 50) Integer> weights,
            @ForAll("primes") int m,
            @ForAll long seed) {
        int[] w = weights.stream().mapToInt(Integer::intValue).toArray();
        long total = Arrays.stream(w).asLongStream().sum();
        if (total == 0 || Arrays.stream(w).filter(x -> x > 0).count() > m) {
            return;
        }
        int[] quota = MaglevTable.quotas(w, total, m);
        int maxQuota = Arrays.stream(quota).max().orElseThrow();
        Random r = new Random(seed);
        int[] position = new int[w.length];
        int[] skip = new int[w.length];
        for (int i = 0; i < w.length; i++) {
            position[i] = r.nextInt(m);
            skip[i] = 1 + r.nextInt(m - 1);
        }
        char[] byRounds = new char[m];
        char[] byHeap = new char[m];
        MaglevTable.fillByRounds(byRounds, quota, maxQuota, position.clone(), skip, m);
        MaglevTable.fillByHeap(byHeap, quota, maxQuota, position.clone(), skip, m);
        assertThat(byHeap).isEqualTo(byRounds);
        int[] counts = new int[w.length];
        for (char c : byHeap) {
            counts[c]++;
        }
        assertThat(counts).containsExactly(quota);
    }

    /** The equal-turn fast path is the round schedule whenever quotas are Q or Q-1 (equal weights, zeros). */
    @Property(tries = 300)
    void equalTurnsAndRoundScheduleBuildTheSameTable(
            @ForAll @Size(min = 2, max = 60) List<@IntRange(min = 0, max = 3) Integer> zeroOrNot,
            @ForAll("primes") int m,
            @ForAll long seed) {
        int[] w = zeroOrNot.stream().mapToInt(x -> x == 0 ? 0 : 7).toArray();
        long positive = Arrays.stream(w).filter(x -> x > 0).count();
        if (positive == 0 || positive > m) {
            return;
        }
        int[] quota = MaglevTable.quotas(w, 7 * positive, m);
        int maxQuota = Arrays.stream(quota).max().orElseThrow();
        Random r = new Random(seed);
        int[] position = new int[w.length];
        int[] skip = new int[w.length];
        for (int i = 0; i < w.length; i++) {
            position[i] = r.nextInt(m);
            skip[i] = 1 + r.nextInt(m - 1);
        }
        char[] byRounds = new char[m];
        char[] byEqualTurns = new char[m];
        MaglevTable.fillByRounds(byRounds, quota, maxQuota, position.clone(), skip, m);
        MaglevTable.fillByEqualTurns(byEqualTurns, quota, maxQuota, position.clone(), skip, m);
        assertThat(byEqualTurns).isEqualTo(byRounds);
    }

    @Property(tries = 100)
    void lookupAndPreferenceStayInRange(@ForAll long hash, @ForAll @IntRange(min = 1, max = 50) int n) {
        BackendSet set = BackendSet.of(TestBackends.sequentialIpv4(n, 80));
        MaglevTable t = TestBackends.table(set, 4093);
        int b = t.lookup(hash);
        assertThat(b).isBetween(0, n - 1);
        int[] out = new int[n];
        assertThat(t.preference(hash, out)).isEqualTo(n);
        assertThat(Arrays.stream(out).distinct().count()).isEqualTo(n);
        assertThat(out[0]).isEqualTo(b);
    }
}
