package io.vipd.lb;

/**
 * Chooses a backend of one {@link BackendSet} for a new flow.
 *
 * <p>Contract: the sync thread builds pickers when it installs a {@link ServicePortEntry}; event-loop threads
 * call them. A picker never calls back into the table, and everything it needs is frozen into it when it
 * is built; it may mutate only its own counter. The load it weighs, if any, is handed to it at pick time by
 * the data plane, which owns it. Thread-safe.
 */
public interface Picker {
    /**
     * The index into the picker's backend set for a flow with this hash, or -1 when the set is empty.
     *
     * @param load active connections per backend now (least connections weighs it; the others ignore it)
     */
    int pick(long flowHash, BackendLoad load);

    /**
     * Distinct backend indexes in the order a connect should try them: {@code out[0]} is {@link #pick}'s
     * choice. Returns how many were written.
     */
    int preference(long flowHash, BackendLoad load, int[] out);
}
