package io.vipd.lb;

import java.util.Arrays;

/**
 * How many slots each backend of a {@link MaglevTable} gets, and in which order backends take their turns.
 *
 * <p>Quotas: M is apportioned by largest remainder, so each backend ends within one slot of its exact share
 * {@code w_i/Σw·M} and weight 0 gets none. Turns: round-robin population with quotas as turn frequencies.
 * Backend i takes its k-th turn (k = 0..q_i-1) in round {@code floor(k·Q/q_i)}, where Q is the largest quota;
 * within a round, turns go in canonical order. With equal weights every quota is Q or Q-1 and this is exactly
 * the paper's Pseudocode 1 (the Q-1 backends sit out the last, partial round). Integer-only, so every machine
 * computes the same schedule. Each turn claims a slot through {@link MaglevSlotClaimer}.
 */
final class MaglevSchedule {
    private MaglevSchedule() {}

    /** Largest-remainder apportionment of m slots by weight: each quota is floor or ceil of w/Σw·m. */
    static int[] quotas(int[] weights, long totalWeight, int m) {
        int n = weights.length;
        int[] quota = new int[n];
        long[] remainder = new long[n];
        long assigned = 0;
        for (int i = 0; i < n; i++) {
            long scaled = (long) weights[i] * m;
            quota[i] = (int) (scaled / totalWeight);
            remainder[i] = scaled % totalWeight;
            assigned += quota[i];
        }
        // Hand the leftover slots to the largest remainders; ties go to the lower index (canonical order).
        // Sorting (totalWeight - 1 - remainder, index) packed in one long ascending gives exactly that order:
        // remainder < totalWeight < 2^47 and index < 2^16, so the packing fits in 63 bits.
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = ((totalWeight - 1 - remainder[i]) << 16) | i;
        }
        Arrays.sort(order);
        for (int k = 0; assigned < m; k++) {
            int i = (int) (order[k] & 0xffff);
            if (weights[i] > 0) {
                quota[i]++;
                assigned++;
            }
        }
        return quota;
    }

    /**
     * Fills {@code slots} by the schedule: backend i with {@code quota[i] > 0} claims that many slots along its
     * permutation, which starts at {@code position[i]} and steps by {@code skip[i]} (advanced as slots are
     * taken). Picks the cheapest of three implementations of the one schedule; they give identical tables.
     */
    static void fill(char[] slots, int[] quota, int[] position, int[] skip, int m) {
        int maxQuota = 0;
        for (int q : quota) {
            maxQuota = Math.max(maxQuota, q);
        }
        if (everyQuotaIsMaxOrOneLess(quota, maxQuota)) {
            fillByEqualTurns(slots, quota, maxQuota, position, skip, m);
        } else if ((long) maxQuota * quota.length <= 4L * m) {
            fillByRounds(slots, quota, maxQuota, position, skip, m);
        } else {
            fillByHeap(slots, quota, maxQuota, position, skip, m);
        }
    }

    private static boolean everyQuotaIsMaxOrOneLess(int[] quota, int maxQuota) {
        for (int q : quota) {
            if (q != 0 && q < maxQuota - 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * The schedule when every positive quota is Q or Q-1 (always so for equal weights): rounds 0..Q-2 give
     * every such backend a turn, the last round only those with Q. The same turns as {@link #fillByRounds}
     * ({@code floor(k·Q/(Q-1)) = k} for k ≤ Q-2), without the per-turn schedule bookkeeping.
     */
    static void fillByEqualTurns(char[] slots, int[] quota, int maxQuota, int[] position, int[] skip, int m) {
        int everyRoundCount = 0;
        int lastRoundCount = 0;
        for (int q : quota) {
            everyRoundCount += q > 0 ? 1 : 0;
            lastRoundCount += q == maxQuota ? 1 : 0;
        }
        int[] everyRound = new int[everyRoundCount];
        int[] lastRound = new int[lastRoundCount];
        everyRoundCount = 0;
        lastRoundCount = 0;
        for (int i = 0; i < quota.length; i++) {
            if (quota[i] > 0) {
                everyRound[everyRoundCount++] = i;
            }
            if (quota[i] == maxQuota) {
                lastRound[lastRoundCount++] = i;
            }
        }
        MaglevSlotClaimer claimer = new MaglevSlotClaimer(slots, position, skip, m);
        for (int round = 0; round < maxQuota - 1; round++) {
            claimer.claimEach(everyRound);
        }
        claimer.claimEach(lastRound);
    }

    /** The schedule visiting every backend each round: cheapest when quotas are similar. */
    static void fillByRounds(char[] slots, int[] quota, int maxQuota, int[] position, int[] skip, int m) {
        int n = quota.length;
        MaglevSlotClaimer claimer = new MaglevSlotClaimer(slots, position, skip, m);
        int[] taken = new int[n];
        NextRound next = new NextRound(quota, maxQuota);
        for (int round = 0; round < maxQuota; round++) {
            for (int i = 0; i < n; i++) {
                if (taken[i] < quota[i] && next.round[i] == round) {
                    claimer.claim(i);
                    taken[i]++;
                    next.advance(i);
                }
            }
        }
    }

    /**
     * {@code round[i] = floor(k·Q/q_i)} for backend i's next turn k, kept by exact integer steps
     * ({@code Q = d·q + e}) so that the fill does no division per slot.
     */
    private static final class NextRound {
        final int[] round;
        private final int[] quota;
        private final int[] whole;
        private final int[] part;
        private final int[] remainder;

        NextRound(int[] quota, int maxQuota) {
            int n = quota.length;
            this.quota = quota;
            round = new int[n];
            whole = new int[n];
            part = new int[n];
            remainder = new int[n];
            for (int i = 0; i < n; i++) {
                if (quota[i] > 0) {
                    whole[i] = maxQuota / quota[i];
                    part[i] = maxQuota % quota[i];
                }
            }
        }

        void advance(int i) {
            round[i] += whole[i];
            remainder[i] += part[i];
            if (remainder[i] >= quota[i]) {
                remainder[i] -= quota[i];
                round[i]++;
            }
        }
    }

    /**
     * The same schedule driven by a min-heap of (round, index): O(M log N) whatever the weights, for skewed
     * weights where visiting every backend every round would cost O(Q·N).
     */
    static void fillByHeap(char[] slots, int[] quota, int maxQuota, int[] position, int[] skip, int m) {
        int n = quota.length;
        MaglevSlotClaimer claimer = new MaglevSlotClaimer(slots, position, skip, m);
        int[] taken = new int[n];
        NextRound next = new NextRound(quota, maxQuota);
        long[] heap = new long[n];
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (quota[i] > 0) {
                heap[size++] = i; // round 0; already a heap because indexes ascend
            }
        }
        while (size > 0) {
            long top = heap[0];
            int i = (int) (top & 0xffff);
            claimer.claim(i);
            taken[i]++;
            if (taken[i] < quota[i]) {
                next.advance(i);
                siftDown(heap, size, ((long) next.round[i] << 16) | i);
            } else {
                size--;
                if (size > 0) {
                    siftDown(heap, size, heap[size]);
                }
            }
        }
    }

    /** Replaces the heap's root with {@code value} and restores the heap order. */
    private static void siftDown(long[] heap, int size, long value) {
        int k = 0;
        while (true) {
            int child = 2 * k + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= value) {
                break;
            }
            heap[k] = heap[child];
            k = child;
        }
        heap[k] = value;
    }
}
