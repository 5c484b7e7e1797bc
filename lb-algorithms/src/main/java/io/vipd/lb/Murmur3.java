package io.vipd.lb;

/**
 * MurmurHash3_x64_128 (Austin Appleby's public-domain algorithm) over a byte array, for the Maglev offset and
 * skip. Bit-for-bit the same as Guava's {@code Hashing.murmur3_128(seed)} (MaglevTableTest checks), without its
 * streaming hasher and result objects: hashing N keys was a sizeable part of a build at N = 1000.
 */
final class Murmur3 {
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private Murmur3() {}

    /** Writes the two 64-bit halves (h1, h2) of the 128-bit hash to {@code out[0]} and {@code out[1]}. */
    static void hash128(byte[] data, int seed, long[] out) {
        long h1 = seed;
        long h2 = seed;
        int blocks = data.length >>> 4;
        for (int b = 0; b < blocks; b++) {
            int at = b << 4;
            h1 ^= mixK1(littleEndian(data, at, 8));
            h1 = Long.rotateLeft(h1, 27) + h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(littleEndian(data, at + 8, 8));
            h2 = Long.rotateLeft(h2, 31) + h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        int tail = blocks << 4;
        int rest = data.length - tail;
        if (rest > 8) {
            h2 ^= mixK2(littleEndian(data, tail + 8, rest - 8));
        }
        if (rest > 0) {
            h1 ^= mixK1(littleEndian(data, tail, Math.min(rest, 8)));
        }
        h1 ^= data.length;
        h2 ^= data.length;
        h1 += h2;
        h2 += h1;
        h1 = FlowHash.fmix64(h1);
        h2 = FlowHash.fmix64(h2);
        h1 += h2;
        h2 += h1;
        out[0] = h1;
        out[1] = h2;
    }

    private static long mixK1(long k1) {
        return Long.rotateLeft(k1 * C1, 31) * C2;
    }

    private static long mixK2(long k2) {
        return Long.rotateLeft(k2 * C2, 33) * C1;
    }

    private static long littleEndian(byte[] b, int from, int count) {
        long v = 0;
        for (int i = count - 1; i >= 0; i--) {
            v = (v << 8) | (b[from + i] & 0xffL);
        }
        return v;
    }
}
