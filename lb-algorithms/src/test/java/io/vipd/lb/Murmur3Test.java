package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Murmur3Test {
    /** The Maglev offsets and skips are pinned to Guava's murmur3_128 (golden tables): every length and tail. */
    @Test
    void matchesGuavaMurmur3For128BitsOnEveryTailLength() {
        Random r = new Random(11);
        long[] out = new long[2];
        for (int length = 0; length <= 70; length++) {
            for (int trial = 0; trial < 20; trial++) {
                byte[] data = new byte[length];
                r.nextBytes(data);
                int seed = trial == 0 ? MaglevTable.SEED : r.nextInt();
                ByteBuffer expected = ByteBuffer.wrap(
                                Hashing.murmur3_128(seed).hashBytes(data).asBytes())
                        .order(ByteOrder.LITTLE_ENDIAN);
                Murmur3.hash128(data, seed, out);
                assertThat(out)
                        .as("length %d seed %d", length, seed)
                        .containsExactly(expected.getLong(0), expected.getLong(8));
            }
        }
    }
}
