package io.vipd.lb;

/**
 * The order in which a new flow tries a route's backends, as a pure function of the picker's preference order,
 * the backends ejected on this node and the client's affinity backend. Stateless.
 *
 * <ol>
 *   <li>The picker's preference order, skipping ejected backends.
 *   <li>If every candidate is ejected, the candidates as they are: a service whose backends all failed
 *       recently still gets tried rather than refused (Envoy's panic threshold at 100%).
 *   <li>Under ClientIP affinity, the client's recorded backend goes first unless it is ejected; if it was not
 *       among the candidates it takes the last place the output has room for.
 * </ol>
 */
public final class CandidateOrder {
    private CandidateOrder() {}

    /**
     * @param set        the route's backends; the indexes below point into it
     * @param preference the picker's preference order ({@link Picker#preference}), best first
     * @param n          how many entries of {@code preference} are valid
     * @param ejected    which backends to skip
     * @param sticky     the index of the client's affinity backend, or -1 for none
     * @param out        receives the order; its length bounds how many backends a flow tries
     * @return how many indexes were written to {@code out}
     */
    public static int order(BackendSet set, int[] preference, int n, EjectedBackends ejected, int sticky, int[] out) {
        int k = 0;
        for (int i = 0; i < n && k < out.length; i++) {
            if (!ejected.isEjected(set.key(preference[i]))) {
                out[k++] = preference[i];
            }
        }
        if (k == 0) {
            k = Math.min(n, out.length);
            System.arraycopy(preference, 0, out, 0, k);
        }
        if (k == 0 || sticky < 0 || sticky == out[0] || ejected.isEjected(set.key(sticky))) {
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
