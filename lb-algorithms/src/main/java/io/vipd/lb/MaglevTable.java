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
 *       quotas are then turn frequencies with an integer schedule ({@link MaglevSchedule}). Equal weights
 *       give exactly the paper's round-robin, hence max - min ≤ 1 entry;</li>
 *   <li>a flow hash maps to slot {@code (hi32(hash) · M) >>> 32} (multiply-shift, no division).</li>
 * </ul>
 *
 * <p>Memory is O(M): one {@code char} per slot (so at most 65535 backends) plus a few ints per backend
 * while building; the N×M permutation matrix is never materialised. Lookups allocate nothing.
 *
 * <p>This class checks the inputs, derives each backend's permutation and holds the result; the quotas and
 * turn order are {@link MaglevSchedule}'s, the walk along a permutation to a free slot {@link MaglevSlotClaimer}'s.
 */
public final class MaglevTable {
    /** The fixed MurmurHash3 seed for offset and skip. MUST NOT change. */
    public static final int SEED = 0x6d61676c; // "magl"
    /** Table sizes vipd chooses from: the smallest with M ≥ 100·N (Maglev paper §3.4 rule of thumb). */
    public static final int[] SIZE_LADDER = {
        251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65537, 131071, 262139, 524287, 1048573
    };

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
        int[] quota = MaglevSchedule.quotas(weights, totalWeight, m);
        int owners = 0;
        int lastOwner = -1;
        for (int i = 0; i < n; i++) {
            if (quota[i] > 0) {
                owners++;
                lastOwner = i;
            }
        }
        if (owners == 1) {
            // No turn ever finds its slot taken: the one owner gets every slot, whatever its permutation.
            Arrays.fill(slots, (char) lastOwner);
        } else {
            int[] position = new int[n]; // starts at each offset; the fill advances it
            int[] skip = new int[n];
            permutations(keys, quota, m, position, skip);
            MaglevSchedule.fill(slots, quota, position, skip, m);
        }
        return new MaglevTable(slots, n, owners);
    }

    /** Each owner's permutation of the slots, {@code (offset, skip)} from its key as the class javadoc says. */
    private static void permutations(List<String> keys, int[] quota, int m, int[] offset, int[] skip) {
        long[] hash = new long[2];
        for (int i = 0; i < quota.length; i++) {
            if (quota[i] > 0) {
                Murmur3.hash128(keys.get(i).getBytes(StandardCharsets.UTF_8), SEED, hash);
                offset[i] = (int) Long.remainderUnsigned(hash[0], m);
                skip[i] = (int) Long.remainderUnsigned(hash[1], m - 1) + 1;
            }
        }
    }

    static void checkSize(int m) {
        if (m > MAX_SIZE) {
            throw new IllegalArgumentException("table size " + m + " is larger than " + MAX_SIZE);
        }
        if (!isPrime(m)) {
            throw new IllegalArgumentException("table size " + m + " is not a prime");
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

    // MaglevSchedule's entry points under the names MaglevPropertiesTest calls them by.

    static int[] quotas(int[] weights, long totalWeight, int m) {
        return MaglevSchedule.quotas(weights, totalWeight, m);
    }

    static void fillByEqualTurns(char[] slots, int[] quota, int maxQuota, int[] position, int[] skip, int m) {
        MaglevSchedule.fillByEqualTurns(slots, quota, maxQuota, position, skip, m);
    }

    static void fillByRounds(char[] slots, int[] quota, int maxQuota, int[] position, int[] skip, int m) {
        MaglevSchedule.fillByRounds(slots, quota, maxQuota, position, skip, m);
    }

    static void fillByHeap(char[] slots, int[] quota, int maxQuota, int[] position, int[] skip, int m) {
        MaglevSchedule.fillByHeap(slots, quota, maxQuota, position, skip, m);
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
