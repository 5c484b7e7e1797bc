package io.vipd.lb;

/**
 * The permutation walk of a {@link MaglevTable} fill (Pseudocode 1's inner loop): on each turn the schedule
 * ({@link MaglevSchedule}) gives it, backend i claims its next preferred free slot, the first free slot of
 * {@code position[i] + t·skip[i] mod M}, t = 0, 1, ... Probing is the build's cost, and it is back-loaded:
 * with F slots free a claim takes about M/F probes, so the last √M claims would take half of all probes.
 * Free slots are tracked in a bitmap (M/8 bytes, stays in L1 where the char table would not). Once at most
 * √M slots are free, a claim probes at most F/2 slots and otherwise scans the free slots for the smallest
 * t = (slot - position)·skip⁻¹ mod M, which is unique per slot since M is prime. Both find the same slot.
 */
final class MaglevSlotClaimer {
    private final char[] slots;
    private final long[] used;
    private final int[] position;
    private final int[] skip;
    private final int m;
    private final double reciprocalM;
    /** Start bounding probes by scans when this many slots remain free. */
    private final int scanBelow;

    private int free;
    /** Free slots once scanning starts; slots claimed by probing are dropped lazily by the next scan. */
    private int[] freeList;

    private int freeListLength;
    /** skip⁻¹ mod M per backend, computed on its first scan; 0 = not yet. */
    private int[] inverseSkip;

    MaglevSlotClaimer(char[] slots, int[] position, int[] skip, int m) {
        this.slots = slots;
        this.position = position;
        this.skip = skip;
        this.m = m;
        reciprocalM = 1.0 / m;
        used = new long[(m + 63) >>> 6];
        scanBelow = (int) Math.sqrt(m);
        free = m;
    }

    void claim(int i) {
        if (free > scanBelow) {
            int step = skip[i];
            int c = firstFree(used, position[i], step, m);
            used[c >>> 6] |= 1L << c;
            slots[c] = (char) i;
            position[i] = advance(c, step, m);
        } else {
            claimNearlyFull(i);
        }
        free--;
    }

    /**
     * {@link #claim} for each of {@code turns} in order; the same slots, with the plain probing loop kept in
     * locals (one call per round rather than per turn, which the JIT did not always inline).
     */
    void claimEach(int[] turns) {
        long[] used = this.used;
        char[] slots = this.slots;
        int[] position = this.position;
        int[] skip = this.skip;
        int m = this.m;
        int plain = Math.max(0, Math.min(turns.length, free - scanBelow));
        for (int k = 0; k < plain; k++) {
            int i = turns[k];
            int step = skip[i];
            int c = firstFree(used, position[i], step, m);
            used[c >>> 6] |= 1L << c;
            slots[c] = (char) i;
            position[i] = advance(c, step, m);
        }
        free -= plain;
        for (int k = plain; k < turns.length; k++) {
            claimNearlyFull(turns[k]);
            free--;
        }
    }

    /** The first free slot of c, c + step, c + 2·step, ... (mod m). */
    private static int firstFree(long[] used, int c, int step, int m) {
        while ((used[c >>> 6] & (1L << c)) != 0) {
            c = advance(c, step, m);
        }
        return c;
    }

    /**
     * (c + step) mod m for c, step < m. Whether it wraps is a coin flip, so it must not be a branch: C2 makes
     * this form an add, a compare and a cmov (3 cycles on the probe loop's chain; the sign-test form took 4).
     */
    private static int advance(int c, int step, int m) {
        int next = c + step;
        return next < m ? next : next - m;
    }

    private void claimNearlyFull(int i) {
        if (!probe(i, free >>> 1)) {
            scan(i);
        }
    }

    /** Claims the first free slot among the next {@code limit} of backend i's order; false if none is. */
    private boolean probe(int i, int limit) {
        long[] used = this.used;
        int m = this.m;
        int c = position[i];
        int step = skip[i];
        while ((used[c >>> 6] & (1L << c)) != 0) {
            if (--limit == 0) {
                position[i] = c;
                return false;
            }
            c = advance(c, step, m);
        }
        take(i, c);
        return true;
    }

    private void scan(int i) {
        if (freeList == null) {
            startScanning();
        }
        long[] used = this.used;
        int m = this.m;
        int c = position[i];
        long inverse = inverseSkip[i];
        if (inverse == 0) {
            inverse = inverseModulo(skip[i], m);
            inverseSkip[i] = (int) inverse;
        }
        int best = -1;
        long bestT = Long.MAX_VALUE;
        int kept = 0;
        for (int k = 0; k < freeListLength; k++) {
            int slot = freeList[k];
            if ((used[slot >>> 6] & (1L << slot)) != 0) {
                continue;
            }
            freeList[kept] = slot;
            int d = slot - c;
            if (d < 0) {
                d += m;
            }
            long x = d * inverse;
            long t = x - (long) (x * reciprocalM) * m; // x < 2^45: the double quotient is off by at most 1
            if (t < 0) {
                t += m;
            } else if (t >= m) {
                t -= m;
            }
            if (t < bestT) {
                bestT = t;
                best = kept;
            }
            kept++;
        }
        int slot = freeList[best];
        freeList[best] = freeList[kept - 1];
        freeListLength = kept - 1;
        take(i, slot);
    }

    /** a⁻¹ mod m for 0 < a < m, m prime (extended Euclid). */
    static int inverseModulo(int a, int m) {
        int r0 = m;
        int r1 = a;
        int t0 = 0;
        int t1 = 1;
        while (r1 != 0) {
            int q = r0 / r1;
            int r = r0 - q * r1;
            r0 = r1;
            r1 = r;
            int t = t0 - q * t1;
            t0 = t1;
            t1 = t;
        }
        return t0 < 0 ? t0 + m : t0;
    }

    private void take(int i, int slot) {
        used[slot >>> 6] |= 1L << slot;
        slots[slot] = (char) i;
        int next = slot + skip[i];
        position[i] = next >= m ? next - m : next;
    }

    private void startScanning() {
        freeList = new int[free];
        for (int w = 0; w < used.length; w++) {
            for (long bits = ~used[w]; bits != 0; bits &= bits - 1) {
                int slot = (w << 6) + Long.numberOfTrailingZeros(bits);
                if (slot < m) {
                    freeList[freeListLength++] = slot;
                }
            }
        }
        inverseSkip = new int[position.length];
    }
}
