package io.vipd.lb;

/**
 * Which backends are ejected on this node (failed connects, passive health), as the data plane knows it.
 * Read at pick time by {@link CandidateOrder}; lock-free and allocation-free, like {@link BackendLoad}.
 */
@FunctionalInterface
public interface EjectedBackends {
    /** Nothing ejected. */
    EjectedBackends NONE = backendKey -> false;

    boolean isEjected(String backendKey);
}
