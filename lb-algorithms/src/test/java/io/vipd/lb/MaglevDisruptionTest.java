package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Disruption when one backend leaves or joins at M = 65537 (docs/maglev.md §3.4, target T12): slots that move
 * between two surviving backends ("collateral") stay at or below 1.0% of the table for N ≤ 655. The bound is
 * empirical (Maglev does not guarantee it), so the sets are fixed-seed; bench/README.md records the measured
 * values (worst seen here about 0.9%).
 */
class MaglevDisruptionTest {
    private static final int M = 65537;
    private static final double COLLATERAL_BOUND = 0.010;

    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {100, 330, 500, 655})
    void removingOrAddingOneBackendMovesAtMostOnePercentBetweenSurvivors(int n) {
        List<Backend> all = TestBackends.randomIpv4(20261126L + n, n + 1);
        Random pick = new Random(n);
        for (int trial = 0; trial < 3; trial++) {
            List<Backend> before = new ArrayList<>(all.subList(0, n));
            Backend removed = before.get(pick.nextInt(n));
            List<Backend> after = new ArrayList<>(before);
            after.remove(removed);
            assertBounded(before, after, removed.key(), n);
        }
        // Adding backend n+1: survivors are the original n.
        List<Backend> before = all.subList(0, n);
        assertBounded(all, before, all.get(n).key(), n);
    }

    /**
     * @param larger  the set with the extra backend
     * @param smaller the set without it
     */
    private static void assertBounded(List<Backend> larger, List<Backend> smaller, String extraKey, int n) {
        BackendSet big = BackendSet.of(larger);
        BackendSet small = BackendSet.of(smaller);
        String[] a = TestBackends.owners(TestBackends.table(big, M), big);
        String[] b = TestBackends.owners(TestBackends.table(small, M), small);
        int changed = 0;
        int collateral = 0;
        int ownedByExtra = 0;
        for (int s = 0; s < M; s++) {
            ownedByExtra += a[s].equals(extraKey) ? 1 : 0;
            if (!a[s].equals(b[s])) {
                changed++;
                collateral += a[s].equals(extraKey) ? 0 : 1;
            }
        }
        // The extra backend's own slots always change owner, and nothing else hands a slot to it.
        assertThat(changed - collateral).isEqualTo(ownedByExtra);
        assertThat((double) collateral / M).as("collateral at N=%d", n).isLessThanOrEqualTo(COLLATERAL_BOUND);
        assertThat((double) changed / M).isLessThanOrEqualTo(1.0 / n + COLLATERAL_BOUND);
    }
}
