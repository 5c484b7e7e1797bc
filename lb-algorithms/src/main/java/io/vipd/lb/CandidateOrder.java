package io.vipd.lb;

import java.util.Set;

/**
 * The order in which a flow tries backends: the picker's preference, adjusted for what the picker cannot see:
 * the backends unavailable on this node, the backends the client's egress policy allows, the backends ejected on
 * this node and the client's affinity backend. Stateless.
 *
 * <ol>
 *   <li>The picker's preference order, without unavailable backends (drained by an operator, or down by active
 *       health checks) and backends the client may not reach, and skipping ejected ones. Filtering the
 *       preference order (rather than picking among the allowed backends afresh) keeps Maglev's consistency: a
 *       restricted client goes to the first allowed backend its flow hash prefers, which stays the same while
 *       that backend stays.
 *   <li>If every available, allowed candidate is ejected, those candidates as they are: a service whose backends
 *       all failed recently still gets tried rather than refused (Envoy's panic threshold at 100%). Unavailable
 *       and forbidden backends are never tried: when nothing else is left the flow has no backend, as HAProxy's
 *       with every server down.
 *   <li>Under ClientIP affinity, the client's recorded backend goes first unless it is ejected, unavailable or
 *       forbidden; if it was not among the candidates it takes the last place the output has room for.
 * </ol>
 */
public final class CandidateOrder {
    private CandidateOrder() {}

    /**
     * @param set         the route's backends; the indexes below point into it
     * @param preference  the picker's preference order ({@link Picker#preference}), best first
     * @param n           how many entries of {@code preference} are valid
     * @param unavailable keys of backends never to try
     * @param ejected     which backends to skip while others are left
     * @param allowed     which backends the client may reach, or null for all
     * @param protocol    the flow's protocol, which {@code allowed} weighs
     * @param sticky      the index of the client's affinity backend, or -1 for none
     * @param out         receives the order; its length bounds how many backends a flow tries
     * @return how many entries of {@code out} are valid
     */
    public static int order(
            BackendSet set,
            int[] preference,
            int n,
            Set<String> unavailable,
            EjectedBackends ejected,
            EgressAllowance allowed,
            Protocol protocol,
            int sticky,
            int[] out) {
        boolean anyUnavailable = !unavailable.isEmpty();
        int k = 0;
        for (int i = 0; i < n && k < out.length; i++) {
            int b = preference[i];
            String key = set.key(b);
            if (usable(set, b, key, anyUnavailable, unavailable, allowed, protocol) && !ejected.isEjected(key)) {
                out[k++] = b;
            }
        }
        if (k == 0) {
            for (int i = 0; i < n && k < out.length; i++) {
                int b = preference[i];
                if (usable(set, b, set.key(b), anyUnavailable, unavailable, allowed, protocol)) {
                    out[k++] = b;
                }
            }
        }
        if (k == 0
                || sticky < 0
                || sticky == out[0]
                || ejected.isEjected(set.key(sticky))
                || !usable(set, sticky, set.key(sticky), anyUnavailable, unavailable, allowed, protocol)) {
            return k;
        }
        int pos = -1;
        for (int i = 0; i < k; i++) {
            if (out[i] == sticky) {
                pos = i;
            }
        }
        if (pos < 0) {
            if (k < out.length) {
                k++;
            }
            pos = k - 1;
        }
        System.arraycopy(out, 0, out, 1, pos);
        out[0] = sticky;
        return k;
    }

    /** Whether the client's policy lets it reach backend {@code index} of {@code set}. */
    public static boolean permitted(BackendSet set, int index, EgressAllowance allowed, Protocol protocol) {
        if (allowed == null) {
            return true;
        }
        Backend b = set.get(index);
        return allowed.allows(b.ip(), protocol, b.port());
    }

    private static boolean usable(
            BackendSet set,
            int index,
            String key,
            boolean anyUnavailable,
            Set<String> unavailable,
            EgressAllowance allowed,
            Protocol protocol) {
        return !(anyUnavailable && unavailable.contains(key)) && permitted(set, index, allowed, protocol);
    }
}
