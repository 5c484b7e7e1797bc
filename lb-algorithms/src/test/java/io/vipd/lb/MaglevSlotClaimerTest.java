package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MaglevSlotClaimerTest {
    /**
     * Whatever the order of turns, every claim takes the first free slot along the backend's permutation, as the
     * plain walk does; this covers the probing phase and the nearly-full phase (probe, then scan).
     */
    @Test
    void claimsTheSameSlotsAsThePlainPermutationWalkUntilTheTableIsFull() {
        Random r = new Random(13);
        for (int m : new int[] {7, 11, 251, 4093, 65537}) {
            for (int n : new int[] {1, 2, 5, 50}) {
                int[] position = new int[n];
                int[] skip = new int[n];
                for (int i = 0; i < n; i++) {
                    position[i] = r.nextInt(m);
                    skip[i] = 1 + r.nextInt(m - 1);
                }
                int[] turns = new int[m];
                for (int k = 0; k < m; k++) {
                    turns[k] = r.nextInt(n);
                }
                char[] claimed = new char[m];
                MaglevSlotClaimer claimer = new MaglevSlotClaimer(claimed, position.clone(), skip, m);
                int half = m / 2;
                for (int k = 0; k < half; k++) {
                    claimer.claim(turns[k]);
                }
                int[] rest = new int[m - half];
                System.arraycopy(turns, half, rest, 0, rest.length);
                claimer.claimEach(rest);
                assertThat(claimed).as("M = %d, N = %d", m, n).isEqualTo(plainWalk(turns, position.clone(), skip, m));
            }
        }
    }

    @Test
    void inverseModuloIsTheMultiplicativeInverse() {
        assertThat(MaglevSlotClaimer.inverseModulo(3, 7)).isEqualTo(5);
        assertThat(MaglevSlotClaimer.inverseModulo(1, 251)).isEqualTo(1);
        for (int a = 1; a < 251; a++) {
            assertThat((long) a * MaglevSlotClaimer.inverseModulo(a, 251) % 251)
                    .as("a = %d", a)
                    .isEqualTo(1);
        }
        int big = 65537 - 1;
        assertThat((long) big * MaglevSlotClaimer.inverseModulo(big, 65537) % 65537)
                .isEqualTo(1);
    }

    /** Pseudocode 1's inner loop as written: walk the permutation to the first free slot. */
    private static char[] plainWalk(int[] turns, int[] position, int[] skip, int m) {
        char[] slots = new char[m];
        boolean[] taken = new boolean[m];
        for (int i : turns) {
            int c = position[i];
            while (taken[c]) {
                c = (c + skip[i]) % m;
            }
            taken[c] = true;
            slots[c] = (char) i;
            position[i] = (c + skip[i]) % m;
        }
        return slots;
    }
}
