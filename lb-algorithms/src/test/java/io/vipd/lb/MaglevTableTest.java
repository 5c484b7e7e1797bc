package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MaglevTableTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/maglev");
    private static final boolean UPDATE = Boolean.getBoolean("golden.update");

    record GoldenCase(String name, List<Backend> backends, int m, boolean dump) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<GoldenCase> goldenCases() {
        List<Backend> weighted = List.of(
                Backend.parseWeighted("10.0.0.1:80=1"),
                Backend.parseWeighted("10.0.0.2:80=2"),
                Backend.parseWeighted("[fd00::1]:80=3"),
                Backend.parseWeighted("[fd00::2]:8080=0"),
                Backend.parseWeighted("192.168.1.10:443=5"));
        return Stream.of(
                new GoldenCase("ipv4-10-m251", TestBackends.sequentialIpv4(10, 8080), 251, true),
                new GoldenCase("mixed-weighted-m251", weighted, 251, true),
                new GoldenCase("ipv4-100-m65537", TestBackends.sequentialIpv4(100, 80), 65537, false),
                new GoldenCase("ipv6-500-m65537", TestBackends.sequentialIpv6(500, 443), 65537, false),
                new GoldenCase("random-655-m65537", TestBackends.randomIpv4(655, 655), 65537, false));
    }

    /** The same text {@code vipd maglev} prints. */
    static String render(BackendSet set, MaglevTable table, boolean dump) {
        StringBuilder sb = new StringBuilder();
        sb.append("table-size: ").append(table.size()).append('\n');
        sb.append("digest: ").append(table.digest(set.keys())).append('\n');
        int[] counts = table.counts();
        for (int i = 0; i < set.size(); i++) {
            sb.append(set.key(i))
                    .append(" entries=")
                    .append(counts.length == 0 ? 0 : counts[i])
                    .append('\n');
        }
        if (dump) {
            sb.append("slots:\n");
            for (String owner : TestBackends.owners(table, set)) {
                sb.append(owner).append('\n');
            }
        }
        return sb.toString();
    }

    /** Guards "the key format, hash, seeds and schedule MUST NOT change": regenerate only with -Dgolden.update=true. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void matchesGoldenTable(GoldenCase c) throws IOException {
        BackendSet set = BackendSet.of(c.backends());
        String got = render(set, TestBackends.table(set, c.m()), c.dump());
        Path file = GOLDEN.resolve(c.name() + ".txt");
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, got, StandardCharsets.UTF_8);
        }
        assertThat(got).isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
    }

    record Invalid(String name, List<String> keys, int[] weights, int m, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Invalid> invalidInputs() {
        List<String> two = List.of("10.0.0.1:80", "10.0.0.2:80");
        List<String> ten =
                TestBackends.sequentialIpv4(10, 80).stream().map(Backend::key).toList();
        return Stream.of(
                new Invalid("M = 0", two, new int[] {1, 1}, 0, "not a prime"),
                new Invalid("M = 1", two, new int[] {1, 1}, 1, "not a prime"),
                new Invalid("M = 65536", two, new int[] {1, 1}, 65536, "not a prime"),
                new Invalid("M = 9 (odd composite)", two, new int[] {1, 1}, 9, "not a prime"),
                new Invalid("negative M", two, new int[] {1, 1}, -7, "not a prime"),
                new Invalid("M above the limit", two, new int[] {1, 1}, 5_000_111, "larger than"),
                new Invalid("more backends than slots", ten, new int[10], 7, "do not fit"),
                new Invalid("negative weight", two, new int[] {1, -1}, 251, "negative weight"),
                new Invalid("weights and keys differ", two, new int[] {1}, 251, "weights"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidInputs")
    void rejectsInvalidInput(Invalid c) {
        int[] weights = c.name().equals("more backends than slots") ? filled(10, 1) : c.weights();
        assertThatThrownBy(() -> MaglevTable.build(c.keys(), weights, c.m()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(c.message());
    }

    @Test
    void moreBackendsThanSlotsIsFineWhenTheExtraHaveWeightZero() {
        List<String> keys =
                TestBackends.sequentialIpv4(10, 80).stream().map(Backend::key).toList();
        int[] weights = new int[10];
        Arrays.fill(weights, 0, 7, 1);
        MaglevTable t = MaglevTable.build(keys, weights, 7);
        assertThat(t.counts()).containsExactly(1, 1, 1, 1, 1, 1, 1, 0, 0, 0);
    }

    static Stream<Arguments> weightedVectors() {
        return Stream.of(
                // Cilium's maglev_test.go vector (Cilium gives 16/98/832/75 with float counters).
                Arguments.of("cilium", new int[] {2, 13, 111, 10}, 1021, new int[] {15, 98, 833, 75}),
                // Envoy's docs: 1:2 on 65537 gives 21846 and 43691.
                Arguments.of("envoy", new int[] {1, 2}, 65537, new int[] {21846, 43691}),
                // Katran issue #35: 1:10 must not come out 1:1 (MaglevV2 gives 5958 / 59579).
                Arguments.of("katran-35", new int[] {1, 10}, 65537, new int[] {5958, 59579}),
                Arguments.of("zero weight", new int[] {3, 0, 1}, 251, new int[] {188, 0, 63}),
                Arguments.of("tiny share rounds to 0", new int[] {1, 1000}, 251, new int[] {0, 251}),
                Arguments.of("all equal", new int[] {4, 4, 4}, 7, new int[] {3, 2, 2}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("weightedVectors")
    void weightsGiveTheirShareWithinOneEntry(String name, int[] weights, int m, int[] expected) {
        List<String> keys = IntStream.range(0, weights.length)
                .mapToObj(i -> "10.0.0." + (i + 1) + ":80")
                .toList();
        int[] counts = MaglevTable.build(keys, weights, m).counts();
        assertThat(counts).containsExactly(expected);
        long total = Arrays.stream(weights).sum();
        for (int i = 0; i < weights.length; i++) {
            double exact = (double) weights[i] * m / total;
            assertThat(Math.abs(counts[i] - exact)).as("backend %d", i).isLessThan(1.0);
        }
    }

    @Test
    void sizeLadderIsAscendingPrimesAndDefaultKeeps100SlotsPerBackend() {
        int previous = 0;
        for (int m : MaglevTable.SIZE_LADDER) {
            assertThat(MaglevTable.isPrime(m)).as("%d", m).isTrue();
            assertThat(m).isGreaterThan(previous);
            previous = m;
        }
        assertThat(MaglevTable.defaultSize(0)).isEqualTo(251);
        assertThat(MaglevTable.defaultSize(2)).isEqualTo(251);
        assertThat(MaglevTable.defaultSize(3)).isEqualTo(509);
        assertThat(MaglevTable.defaultSize(100)).isEqualTo(16381);
        assertThat(MaglevTable.defaultSize(655)).isEqualTo(65537);
        assertThat(MaglevTable.defaultSize(656)).isEqualTo(131071);
        for (int n = 1; n <= 10_000; n += 37) {
            int m = MaglevTable.defaultSize(n);
            assertThat(m).isGreaterThanOrEqualTo(100 * n);
        }
        assertThat(MaglevTable.defaultSize(65535)).isEqualTo(1048573);
    }

    @Test
    void emptyAndAllZeroTablesMissEveryLookup() {
        MaglevTable empty = MaglevTable.build(List.of(), new int[0], 251);
        assertThat(empty.lookup(42)).isEqualTo(-1);
        assertThat(empty.preference(42, new int[3])).isZero();
        MaglevTable zero = MaglevTable.build(List.of("10.0.0.1:80"), new int[] {0}, 251);
        assertThat(zero.lookup(42)).isEqualTo(-1);
        assertThat(zero.backendCount()).isZero();
    }

    @Test
    void oneBackendOwnsEverySlot() {
        MaglevTable t = MaglevTable.build(List.of("10.0.0.1:80"), new int[] {1}, 251);
        assertThat(t.counts()).containsExactly(251);
        assertThat(t.lookup(Long.MIN_VALUE)).isZero();
    }

    @Test
    void everyHashMapsToASlotInRange() {
        int m = 251;
        MaglevTable t = MaglevTable.build(List.of("a", "b"), new int[] {1, 1}, m);
        for (long h : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0xffffffffL, 0x1_0000_0000L}) {
            assertThat(t.slotOf(h)).isBetween(0, m - 1);
        }
        assertThat(t.slotOf(0)).isZero();
        assertThat(t.slotOf(-1)).isEqualTo(m - 1);
        // The high 32 bits pick the slot uniformly: hi32 = k * 2^32 / m lands in slot k.
        for (int k = 0; k < m; k++) {
            long hi = (((long) k << 32) + m - 1) / m;
            assertThat(t.slotOf(hi << 32)).isEqualTo(k);
        }
    }

    @Test
    void preferenceStartsWithTheLookupAndListsDistinctEligibleBackends() {
        BackendSet set = BackendSet.of(TestBackends.sequentialIpv4(5, 80).stream()
                .map(b -> b.key().equals("10.0.0.3:80") ? b.withWeight(0) : b)
                .toList());
        MaglevTable t = TestBackends.table(set, 251);
        for (long h = 0; h < 200; h++) {
            long hash = FlowHash.fmix64(h);
            int[] out = new int[8];
            int n = t.preference(hash, out);
            assertThat(n).isEqualTo(4);
            assertThat(out[0]).isEqualTo(t.lookup(hash));
            Set<Integer> distinct = new HashSet<>();
            for (int i = 0; i < n; i++) {
                distinct.add(out[i]);
            }
            assertThat(distinct).hasSize(4).doesNotContain(set.indexOf("10.0.0.3:80"));
            int[] two = new int[2];
            assertThat(t.preference(hash, two)).isEqualTo(2);
            assertThat(two).containsExactly(out[0], out[1]);
        }
    }

    @Test
    void preferenceListsOnlyBackendsThatOwnASlot() {
        MaglevTable t = MaglevTable.build(List.of("10.0.0.1:80", "10.0.0.2:80"), new int[] {1, 1000}, 251);
        int[] out = new int[2];
        assertThat(t.preference(12345, out)).isEqualTo(1);
        assertThat(out[0]).isEqualTo(1);
    }

    @Test
    void identicalInputsGiveIdenticalTablesAndChangedSlotsCountsDifferences() {
        BackendSet set = BackendSet.of(TestBackends.randomIpv4(7, 50));
        MaglevTable a = TestBackends.table(set, 16381);
        MaglevTable b = TestBackends.table(BackendSet.of(new ArrayList<>(set.backends())), 16381);
        assertThat(a.changedSlots(b)).isZero();
        assertThat(a.digest(set.keys())).isEqualTo(b.digest(set.keys()));
        MaglevTable other = TestBackends.table(set, 8191);
        assertThat(a.changedSlots(other)).isEqualTo(16381);
        assertThat(Arrays.stream(a.counts()).sum()).isEqualTo(16381);
    }

    @Test
    void digestIsSha256OfOwnerKeysOnePerLine() throws Exception {
        BackendSet set = BackendSet.of(Backend.parse("10.0.0.2:80"), Backend.parse("10.0.0.1:80"));
        MaglevTable t = TestBackends.table(set, 7);
        StringBuilder text = new StringBuilder();
        for (String owner : TestBackends.owners(t, set)) {
            text.append(owner).append('\n');
        }
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(t.digest(set.keys())).isEqualTo(java.util.HexFormat.of().formatHex(sha));
    }

    private static int[] filled(int n, int value) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }
}
