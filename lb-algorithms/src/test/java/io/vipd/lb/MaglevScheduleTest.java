package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MaglevScheduleTest {
    @Test
    void weightsOneTwoThreeOverSevenHandTheLeftoverSlotToTheLargestRemainder() {
        // Exact shares 7/6, 14/6, 21/6: floors 1, 2, 3 leave one slot; remainders 1, 2, 3 give it to the last.
        assertThat(MaglevSchedule.quotas(new int[] {1, 2, 3}, 6, 7)).containsExactly(1, 2, 4);
    }

    @Test
    void weightsOneTwoThreeOver251HandTwoLeftoverSlotsToTheTwoLargestRemainders() {
        // Exact shares 41.83, 83.67, 125.5: floors 41, 83, 125 leave two; remainders 5, 4, 3 (of 6).
        assertThat(MaglevSchedule.quotas(new int[] {1, 2, 3}, 6, 251)).containsExactly(42, 84, 125);
    }

    @Test
    void weightsOneTwoThreeStayWithinOneSlotOfTheirShareOnEveryLadderSize() {
        int[] weights = {1, 2, 3};
        for (int m : MaglevTable.SIZE_LADDER) {
            int[] quota = MaglevSchedule.quotas(weights, 6, m);
            assertThat(Arrays.stream(quota).sum()).as("M = %d", m).isEqualTo(m);
            for (int i = 0; i < weights.length; i++) {
                double exact = (double) weights[i] * m / 6;
                assertThat(Math.abs(quota[i] - exact))
                        .as("M = %d, backend %d", m, i)
                        .isLessThan(1.0);
            }
        }
    }

    @Test
    void equalRemaindersGoToTheLowerIndex() {
        assertThat(MaglevSchedule.quotas(new int[] {1, 1, 1}, 3, 7)).containsExactly(3, 2, 2);
        assertThat(MaglevSchedule.quotas(new int[] {0, 1, 1}, 2, 7)).containsExactly(0, 4, 3);
    }

    @Test
    void aPositiveWeightBelowOneSlotsShareCanGetNone() {
        // Shares 7/1001 and 7000/1001: floors 0 and 6; the leftover slot goes to remainder 994, not 7.
        assertThat(MaglevSchedule.quotas(new int[] {1, 1000}, 1001, 7)).containsExactly(0, 7);
    }

    /**
     * Quotas 1, 2, 4 (Q = 4) and every permutation 0, 1, 2, ...: turns go round 0: b0 b1 b2, round 1: b2,
     * round 2: b1 b2, round 3: b2 (backend i's k-th turn in round floor(k·Q/q_i)), and each turn takes the
     * first free slot from where that backend's last claim left off.
     */
    @Test
    void unequalQuotasTakeTurnsInTheRoundsTheirFrequencyGives() {
        int[] quota = {1, 2, 4};
        char[] expected = {0, 1, 2, 2, 1, 2, 2};
        assertThat(fillByRounds(quota, 7)).containsExactly(expected);
        assertThat(fillByHeap(quota, 7)).containsExactly(expected);
        assertThat(fill(quota, 7)).containsExactly(expected);
    }

    /**
     * Quotas 4, 3 with b0 at 3 stepping 2 and b1 at 3 stepping 3: rounds 0..2 alternate b0, b1 and the last
     * round is b0's alone. b0 takes 3, b1 finds 3 taken and takes 6; b0 5, b1 2; b0 0, b1 finds 5 taken and
     * takes 1; b0 finds 2 taken and takes 4.
     */
    @Test
    void quotasDifferingByOneAlternateAndTheLargerTakeTheLastRound() {
        int[] quota = {4, 3};
        int[] position = {3, 3};
        int[] skip = {2, 3};
        char[] expected = {0, 1, 1, 0, 0, 0, 1};
        char[] byEqualTurns = new char[7];
        MaglevSchedule.fillByEqualTurns(byEqualTurns, quota, 4, position.clone(), skip, 7);
        assertThat(byEqualTurns).containsExactly(expected);
        char[] byRounds = new char[7];
        MaglevSchedule.fillByRounds(byRounds, quota, 4, position.clone(), skip, 7);
        assertThat(byRounds).containsExactly(expected);
        char[] byFill = new char[7];
        MaglevSchedule.fill(byFill, quota, position.clone(), skip, 7);
        assertThat(byFill).containsExactly(expected);
    }

    @Test
    void aZeroQuotaTakesNoTurn() {
        int[] quota = {2, 0, 5};
        char[] slots = new char[7];
        Arrays.fill(slots, (char) 9);
        MaglevSchedule.fill(slots, quota, new int[] {0, 0, 0}, new int[] {1, 1, 1}, 7);
        int[] counts = new int[3];
        for (char c : slots) {
            counts[c]++;
        }
        assertThat(counts).containsExactly(2, 0, 5);
    }

    private static char[] fillByRounds(int[] quota, int m) {
        char[] slots = new char[m];
        MaglevSchedule.fillByRounds(slots, quota, max(quota), new int[quota.length], ones(quota.length), m);
        return slots;
    }

    private static char[] fillByHeap(int[] quota, int m) {
        char[] slots = new char[m];
        MaglevSchedule.fillByHeap(slots, quota, max(quota), new int[quota.length], ones(quota.length), m);
        return slots;
    }

    private static char[] fill(int[] quota, int m) {
        char[] slots = new char[m];
        MaglevSchedule.fill(slots, quota, new int[quota.length], ones(quota.length), m);
        return slots;
    }

    private static int max(int[] values) {
        return Arrays.stream(values).max().orElseThrow();
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        Arrays.fill(a, 1);
        return a;
    }
}
