package io.vipd.lb;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A Maglev lookup table (Eisenbud et al., NSDI '16, §3.4; docs/maglev.md): slot to backend index.
 * Immutable.
 *
 * <p>Determinism (MUST NOT change, or nodes disagree; pinned by golden/maglev/*.txt):
 * <ul>
 *   <li>backends take turns in the order given, which callers make canonical by sorting keys
 *       ({@link BackendSet}); a key is {@link Backend#key()}, e.g. {@code 10.0.0.1:80} or {@code [fd00::1]:80};</li>
 *   <li>{@code (h1, h2)} are the two little-endian 64-bit halves of MurmurHash3_x64_128 with seed
 *       {@value #SEED} over the key's UTF-8 bytes; {@code offset = h1 mod M}, {@code skip = h2 mod (M-1) + 1},
 *       both unsigned ({@link Long#remainderUnsigned});</li>
 *   <li>weights: M is apportioned by largest remainder ({@code q_i} is floor or ceil of {@code w_i/Σw·M}, ties
 *       to the lower index), so each backend ends within one entry of its exact share and weight 0 gets none;
 *       quotas are then turn frequencies with an integer schedule (see {@link #fill}). Equal weights give
 *       exactly the paper's round-robin, hence max - min ≤ 1 entry;</li>
 *   <li>a flow hash maps to slot {@code (hi32(hash) · M) >>> 32} (multiply-shift, no division).</li>
 * </ul>
 *
 * <p>Memory is O(M): one {@code char} per slot (so at most 65535 backends) plus a few ints per backend
 * while building; the N×M permutation matrix is never materialised. Lookups allocate nothing.
 */
public final class MaglevTable {
    /** The fixed MurmurHash3 seed for offset and skip. MUST NOT change. */
    public static final int SEED = 0x6d61676c; // "magl"
    /** Table sizes vipd chooses from: the smallest with M ≥ 100·N (Maglev paper §3.4 rule of thumb). */
    public static final int[] SIZE_LADDER = {251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65537, 131071,
        262139, 524287, 1048573};
    public static final int MAX_BACKENDS = 65535;
    /** The largest explicit size accepted (Envoy's limit), so a typo cannot allocate gigabytes. */
    public static final int MAX_SIZE = 5_000_011;

    private final char[] slots;
    private final int backendCount;
    /** Backends that own at least one slot: the most distinct entries a preference order can have. */
    private final int ownerCount;

    private MaglevTable(char[] slots, int backendCount, int ownerCount) {
        this.slots = slots;
        this.backendCount = backendCount;
        this.ownerCount = ownerCount;
    }

    /** The default size for {@code n} backends: the first prime of {@link #SIZE_LADDER} with M ≥ 100·n. */
    public static int defaultSize(int n) {
        long want = 100L * Math.max(n, 1);
        for (int m : SIZE_LADDER) {
            if (m >= want) {
                return m;
            }
        }
        return SIZE_LADDER[SIZE_LADDER.length - 1];
    }

    /** Builds with the default size; see {@link #build(List, int[], int)}. */
    public static MaglevTable build(List<String> keys, int[] weights) {
        return build(keys, weights, defaultSize(keys.size()));
    }

    /**
     * Builds the table for backends in the given (canonical) order.
     *
     * @param keys    backend keys, canonical order; index i in the table means keys.get(i)
     * @param weights one non-negative weight per key
     * @param m       a prime table size with m ≥ number of backends with positive weight
     * @throws IllegalArgumentException on a non-prime m, too many backends, or bad weights
     */
    public static MaglevTable build(List<String> keys, int[] weights, int m) {
        int n = keys.size();
        if (weights.length != n) {
            throw new IllegalArgumentException(n + " keys but " + weights.length + " weights");
        }
        if (n > MAX_BACKENDS) {
            throw new IllegalArgumentException("at most " + MAX_BACKENDS + " backends, got " + n);
        }
        checkSize(m);
        long totalWeight = 0;
        int positive = 0;
        for (int w : weights) {
            if (w < 0) {
                throw new IllegalArgumentException("negative weight " + w);
            }
            totalWeight += w;
            positive += w > 0 ? 1 : 0;
        }
        if (positive > m) {
            throw new IllegalArgumentException(positive + " backends do not fit in " + m + " slots");
        }
        char[] slots = new char[m];
        if (positive == 0) {
            return new MaglevTable(slots, 0, 0);
        }
        int[] quota = quotas(weights, totalWeight, m);
        fill(slots, keys, quota, m);
        int owners = 0;
        for (int q : quota) {
            owners += q > 0 ? 1 : 0;
        }
        return new MaglevTable(slots, n, owners);
    }

    static void checkSize(int m) {
        if (m > MAX_SIZE) {
            throw new IllegalArgumentException("table size " + m + " is larger than " + MAX_SIZE);
        }
        if (!isPrime(m)) {
            throw new IllegalArgumentException("table size " + m + " is not a prime");
        }
    }

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
     * Round-robin population with quotas as turn frequencies. Backend i takes its k-th turn (k = 0..q_i-1) in
     * round {@code floor(k·Q/q_i)}, where Q is the largest quota; within a round, turns go in canonical order.
     * With equal weights every quota is Q or Q-1 and this is exactly the paper's Pseudocode 1 (the Q-1
     * backends sit out the last, partial round). Integer-only, so every machine computes the same schedule.
     */
    private static void fill(char[] slots, List<String> keys, int[] quota, int m) {
        int n = keys.size();
        int maxQuota = 0;
        int owners = 0;
        for (int i = 0; i < n; i++) {
            maxQuota = Math.max(maxQuota, quota[i]);
            owners += quota[i] > 0 ? 1 : 0;
        }
        if (owners == 1) {
            // No turn ever finds its slot taken: the one owner gets every slot, whatever its permutation.
            for (int i = 0; i < n; i++) {
                if (quota[i] > 0) {
                    Arrays.fill(slots, (char) i);
                }
            }
            return;
        }
        int[] position = new int[n];
        int[] skip = new int[n];
        long[] hash = new long[2];
        for (int i = 0; i < n; i++) {
            if (quota[i] > 0) {
                Murmur3.hash128(keys.get(i).getBytes(StandardCharsets.UTF_8), SEED, hash);
                position[i] = (int) Long.remainderUnsigned(hash[0], m);
                skip[i] = (int) Long.remainderUnsigned(hash[1], m - 1) + 1;
            }
        }
        if (everyQuotaIsMaxOrOneLess(quota, maxQuota)) {
            fillByEqualTurns(slots, quota, maxQuota, position, skip, m);
        } else if ((long) maxQuota * n <= 4L * m) {
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
        SlotClaimer claimer = new SlotClaimer(slots, position, skip, m);
        for (int round = 0; round < maxQuota - 1; round++) {
            claimer.claimEach(everyRound);
        }
        claimer.claimEach(lastRound);
    }

    /** The schedule visiting every backend each round: cheapest when quotas are similar. */
    static void fillByRounds(char[] slots, int[] quota, int maxQuota, int[] position, int[] skip, int m) {
        int n = quota.length;
        SlotClaimer claimer = new SlotClaimer(slots, position, skip, m);
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
        SlotClaimer claimer = new SlotClaimer(slots, position, skip, m);
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

    /**
     * Backend i claims its next preferred free slot (Pseudocode 1's inner loop): the first free slot of
     * {@code position[i] + t·skip[i] mod M}, t = 0, 1, ... Probing is the build's cost, and it is back-loaded:
     * with F slots free a claim takes about M/F probes, so the last √M claims would take half of all probes.
     * Free slots are tracked in a bitmap (M/8 bytes, stays in L1 where the char table would not). Once at most
     * √M slots are free, a claim probes at most F/2 slots and otherwise scans the free slots for the smallest
     * t = (slot - position)·skip⁻¹ mod M, which is unique per slot since M is prime. Both find the same slot.
     */
    private static final class SlotClaimer {
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

        SlotClaimer(char[] slots, int[] position, int[] skip, int m) {
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

    static boolean isPrime(int m) {
        if (m < 2) {
            return false;
        }
        for (int d = 2; (long) d * d <= m; d++) {
            if (m % d == 0) {
                return false;
            }
        }
        return true;
    }

    public int size() {
        return slots.length;
    }

    public int backendCount() {
        return backendCount;
    }

    /** The slot a flow hash maps to: the high 32 bits scaled to [0, M) (Lemire's multiply-shift). */
    public int slotOf(long flowHash) {
        return (int) (((flowHash >>> 32) * slots.length) >>> 32);
    }

    /** The backend index for a flow hash, or -1 when the table has no backend. Allocation-free. */
    public int lookup(long flowHash) {
        return backendCount == 0 ? -1 : slots[slotOf(flowHash)];
    }

    public int slot(int index) {
        return slots[index];
    }

    /**
     * Fills {@code out} with distinct backend indexes in preference order for a flow: the owner of its slot,
     * then the owners of the following slots as they first appear. Used for connect-time retry.
     *
     * @return how many indexes were written: min(out.length, backends owning a slot)
     */
    public int preference(long flowHash, int[] out) {
        if (backendCount == 0 || out.length == 0) {
            return 0;
        }
        int want = Math.min(out.length, ownerCount);
        int count = 0;
        int m = slots.length;
        int s = slotOf(flowHash);
        for (int step = 0; step < m && count < want; step++) {
            int b = slots[s];
            boolean seen = false;
            for (int k = 0; k < count; k++) {
                if (out[k] == b) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                out[count++] = b;
            }
            if (++s == m) {
                s = 0;
            }
        }
        return count;
    }

    /** Entries per backend index. */
    public int[] counts() {
        int[] c = new int[backendCount];
        if (backendCount > 0) {
            for (char s : slots) {
                c[s]++;
            }
        }
        return c;
    }

    /** Slots whose owner differs between the two tables, when both index the same key list. */
    public int changedSlots(MaglevTable other) {
        if (other.slots.length != slots.length) {
            return slots.length;
        }
        int changed = 0;
        for (int i = 0; i < slots.length; i++) {
            changed += slots[i] != other.slots[i] ? 1 : 0;
        }
        return changed;
    }

    /** Lowercase hex SHA-256 over the owner key of each slot, one per line, each ending in '\n'. */
    public String digest(List<String> keys) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[][] encoded = new byte[keys.size()][];
            for (int i = 0; i < encoded.length; i++) {
                encoded[i] = (keys.get(i) + "\n").getBytes(StandardCharsets.UTF_8);
            }
            if (backendCount > 0) {
                for (char s : slots) {
                    sha.update(encoded[s]);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
