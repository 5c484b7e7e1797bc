package io.vipd.proxy;

/**
 * One event loop's scratch arrays for the pickers' preference lists, so that choosing a new flow's backends
 * allocates nothing once warm. Touched by its loop only.
 */
final class CandidateScratch {
    /** The most candidates a new flow looks at. */
    static final int MAX_CANDIDATES = 64;

    /** By exact length: pickers fill as many entries as the array holds. */
    private final int[][] byLength = new int[MAX_CANDIDATES + 1][];

    /** An array of exactly {@code length} entries (at most {@link #MAX_CANDIDATES}), reused by later calls. */
    int[] ofLength(int length) {
        int[] a = byLength[length];
        if (a == null) {
            a = new int[length];
            byLength[length] = a;
        }
        return a;
    }
}
