package io.vipd.lb;

/**
 * The order in which a new flow tries a route's backends, as a pure function of the picker's preference order,
 * the backends the client's egress policy allows, the backends ejected on this node and the client's affinity
 * backend. Stateless.
 *
 * <ol>
 *   <li>The picker's preference order, skipping backends the client may not reach and ejected ones. Filtering
 *       the preference order (rather than picking among the allowed backends afresh) keeps Maglev's
 *       consistency: a restricted client goes to the first allowed backend its flow hash prefers, which stays
 *       the same while that backend stays.
 *   <li>If every allowed candidate is ejected, the allowed candidates as they are: a service whose backends all
 *       failed recently still gets tried rather than refused (Envoy's panic threshold at 100%). A backend the
 *       policy forbids is never tried.
 *   <li>Under ClientIP affinity, the client's recorded backend goes first unless it is ejected or forbidden; if
 *       it was not among the candidates it takes the last place the output has room for.
 * </ol>
 */
public final class CandidateOrder {
    private CandidateOrder() {}

    /** As {@link #order(BackendSet, int[], int, EjectedBackends, EgressAllowance, Protocol, int, int[])}, unrestricted. */
    public static int order(BackendSet set, int[] preference, int n, EjectedBackends ejected, int sticky, int[] out) {
        return order(set, preference, n, ejected, null, Protocol.TCP, sticky, out);
    }

    /**
     * @param set        the route's backends; the indexes below point into it
     * @param preference the picker's preference order ({@link Picker#preference}), best first
     * @param n          how many entries of {@code preference} are valid
     * @param ejected    which backends to skip
     * @param allowed    which backends the client may reach, or null for all
     * @param protocol   the flow's protocol, which {@code allowed} weighs
     * @param sticky     the index of the client's affinity backend, or -1 for none
     * @param out        receives the order; its length bounds how many backends a flow tries
     * @return how many indexes were written to {@code out}
     */
    public static int order(
            BackendSet set,
            int[] preference,
            int n,
            EjectedBackends ejected,
            EgressAllowance allowed,
            Protocol protocol,
            int sticky,
            int[] out) {
        int k = 0;
        for (int i = 0; i < n && k < out.length; i++) {
            int b = preference[i];
            if (permitted(set, b, allowed, protocol) && !ejected.isEjected(set.key(b))) {
                out[k++] = b;
            }
        }
        if (k == 0) {
            for (int i = 0; i < n && k < out.length; i++) {
                if (permitted(set, preference[i], allowed, protocol)) {
                    out[k++] = preference[i];
                }
            }
        }
        if (k == 0
                || sticky < 0
                || sticky == out[0]
                || ejected.isEjected(set.key(sticky))
                || !permitted(set, sticky, allowed, protocol)) {
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
}
