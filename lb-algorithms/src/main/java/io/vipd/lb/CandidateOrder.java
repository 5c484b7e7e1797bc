package io.vipd.lb;

import java.util.Set;

/**
 * The order in which a new flow tries a route's backends, as a pure function of the picker's preference order,
 * the backends unavailable or ejected on this node and the client's affinity backend. Stateless.
 *
 * <ol>
 *   <li>The picker's preference order, without unavailable backends (drained by an operator, or down by active
 *       health checks) and skipping ejected ones.
 *   <li>If every available candidate is ejected, those candidates as they are: a service whose backends all
 *       failed recently still gets tried rather than refused (Envoy's panic threshold at 100%). Unavailable
 *       backends are never tried: when nothing else is left the flow has no backend, as HAProxy's with every
 *       server down.
 *   <li>Under ClientIP affinity, the client's recorded backend goes first unless it is ejected or unavailable;
 *       if it was not among the candidates it takes the last place the output has room for.
 * </ol>
 */
public final class CandidateOrder {
    private CandidateOrder() {}

    /** As {@link #order(BackendSet, int[], int, Set, EjectedBackends, int, int[])} with every backend available. */
    public static int order(BackendSet set, int[] preference, int n, EjectedBackends ejected, int sticky, int[] out) {
        return order(set, preference, n, Set.of(), ejected, sticky, out);
    }

    /**
     * @param set         the route's backends; the indexes below point into it
     * @param preference  the picker's preference order ({@link Picker#preference}), best first
     * @param n           how many entries of {@code preference} are valid
     * @param unavailable keys of backends never to try
     * @param ejected     which backends to skip while others are left
     * @param sticky      the index of the client's affinity backend, or -1 for none
     * @param out         receives the order; its length bounds how many backends a flow tries
     * @return how many indexes were written to {@code out}
     */
    public static int order(
            BackendSet set,
            int[] preference,
            int n,
            Set<String> unavailable,
            EjectedBackends ejected,
            int sticky,
            int[] out) {
        boolean anyUnavailable = !unavailable.isEmpty();
        int k = 0;
        for (int i = 0; i < n && k < out.length; i++) {
            String key = set.key(preference[i]);
            if (!ejected.isEjected(key) && !(anyUnavailable && unavailable.contains(key))) {
                out[k++] = preference[i];
            }
        }
        if (k == 0) {
            for (int i = 0; i < n && k < out.length; i++) {
                if (!(anyUnavailable && unavailable.contains(set.key(preference[i])))) {
                    out[k++] = preference[i];
                }
            }
        }
        if (k == 0
                || sticky < 0
                || sticky == out[0]
                || ejected.isEjected(set.key(sticky))
                || (anyUnavailable && unavailable.contains(set.key(sticky)))) {
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
}
