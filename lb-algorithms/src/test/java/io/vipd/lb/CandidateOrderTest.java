package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CandidateOrderTest {
    /** Indexes 0..5 of this set are the backends the cases name. */
    private static final BackendSet SET = BackendSet.of(
            Backend.parse("10.0.0.1:80"),
            Backend.parse("10.0.0.2:80"),
            Backend.parse("10.0.0.3:80"),
            Backend.parse("10.0.0.4:80"),
            Backend.parse("10.0.0.5:80"),
            Backend.parse("10.0.0.6:80"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # case                                   | preference  | ejected | sticky | room | expected
            preference order as the picker gave it   | 3 1 4 0     |         | -1     | 4    | 3 1 4 0
            output room bounds the order             | 3 1 4 0     |         | -1     | 2    | 3 1
            ejected backends are skipped             | 3 1 4 0     | 1 4     | -1     | 4    | 3 0
            skipping lets later candidates in        | 3 1 4 0 2   | 3       | -1     | 3    | 1 4 0
            all ejected: tried anyway, in order      | 3 1 4       | 1 3 4   | -1     | 4    | 3 1 4
            all ejected, room smaller                | 3 1 4       | 1 3 4   | -1     | 2    | 3 1
            nothing to try                           |             |         | 2      | 4    |
            affinity backend already first           | 3 1 4 0     |         | 3      | 4    | 3 1 4 0
            affinity backend moves to the front      | 3 1 4 0     |         | 4      | 4    | 4 3 1 0
            affinity backend outside the window      | 3 1 4       |         | 5      | 4    | 5 3 1 4
            affinity outside a full window drops last | 3 1 4 0    |         | 5      | 4    | 5 3 1 4
            ejected affinity backend is not preferred | 3 1 4 0    | 4       | 4      | 4    | 3 1 0
            affinity after skipping ejected ones      | 3 1 4 0    | 3       | 0      | 4    | 0 1 4
            affinity in an all-ejected service        | 3 1       | 1 3 5   | 5      | 4    | 3 1
            """)
    void ordersCandidates(String name, String preference, String ejected, int sticky, int room, String expected) {
        int[] pref = indexes(preference);
        Set<String> ejectedKeys =
                Arrays.stream(indexes(ejected)).mapToObj(SET::key).collect(Collectors.toSet());
        int[] out = new int[room];

        int n = CandidateOrder.order(
                SET, pref, pref.length, Set.of(), ejectedKeys::contains, null, Protocol.TCP, sticky, out);

        assertThat(Arrays.copyOf(out, n)).containsExactly(indexes(expected));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # case                                     | preference | unavailable | ejected | sticky | expected
            unavailable backends are left out          | 3 1 4 0    | 1 4         |         | -1     | 3 0
            all unavailable: nothing to try            | 3 1 4      | 1 3 4       |         | -1     |
            all available ones ejected: tried anyway   | 3 1 4 0    | 1 4         | 3 0     | -1     | 3 0
            only available one ejected: tried anyway  | 3 1        | 1           | 3       | -1     | 3
            unavailable affinity backend is not first  | 3 1 4 0    | 4           |         | 4      | 3 1 0
            """)
    void neverOffersUnavailableBackends(
            String name, String preference, String unavailable, String ejected, int sticky, String expected) {
        int[] pref = indexes(preference);
        Set<String> unavailableKeys =
                Arrays.stream(indexes(unavailable)).mapToObj(SET::key).collect(Collectors.toSet());
        Set<String> ejectedKeys =
                Arrays.stream(indexes(ejected)).mapToObj(SET::key).collect(Collectors.toSet());
        int[] out = new int[4];

        int n = CandidateOrder.order(
                SET, pref, pref.length, unavailableKeys, ejectedKeys::contains, null, Protocol.TCP, sticky, out);

        assertThat(Arrays.copyOf(out, n)).containsExactly(indexes(expected));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            # case                                        | preference | allowed | ejected | sticky | room | expected
            forbidden backends are skipped, order kept    | 3 1 4 0    | 1 0     |         | -1     | 4    | 1 0
            the first allowed one is the pick             | 3 1 4 0 2  | 4 2     |         | -1     | 1    | 4
            none allowed: nothing to try                  | 3 1 4      | 0 2     |         | -1     | 4    |
            all allowed ones ejected: tried, never others | 3 1 4 0    | 1 4     | 1 4     | -1     | 4    | 1 4
            allowed and not ejected come first            | 3 1 4 0    | 1 4 0   | 1       | -1     | 4    | 4 0
            a forbidden affinity backend is not preferred | 3 1 4 0    | 3 1     |         | 4      | 4    | 3 1
            an allowed affinity backend moves first       | 3 1 4 0    | 1 4     |         | 4      | 4    | 4 1
            """)
    void ordersOnlyWhatTheClientMayReach(
            String name, String preference, String allowed, String ejected, int sticky, int room, String expected) {
        int[] pref = indexes(preference);
        Set<String> ejectedKeys =
                Arrays.stream(indexes(ejected)).mapToObj(SET::key).collect(Collectors.toSet());
        Set<java.net.InetAddress> allowedIps =
                Arrays.stream(indexes(allowed)).mapToObj(i -> SET.get(i).ip()).collect(Collectors.toSet());
        EgressAllowance allowance = (ip, protocol, port) -> protocol == Protocol.TCP && allowedIps.contains(ip);
        int[] out = new int[room];

        int n = CandidateOrder.order(
                SET, pref, pref.length, Set.of(), ejectedKeys::contains, allowance, Protocol.TCP, sticky, out);

        assertThat(Arrays.copyOf(out, n)).containsExactly(indexes(expected));
    }

    private static int[] indexes(String s) {
        return s == null || s.isBlank()
                ? new int[0]
                : Arrays.stream(s.trim().split("\\s+"))
                        .mapToInt(Integer::parseInt)
                        .toArray();
    }
}
