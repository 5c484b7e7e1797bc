package io.vipd.lb;

import java.util.Objects;

/**
 * Where one kind of traffic to a service port goes: an action, and for FORWARD the backends and the
 * picker over them. Immutable (the picker may keep its own counter).
 */
public record Route(Action action, BackendSet backends, Picker picker) {
    public static final Route REJECT = new Route(Action.REJECT, BackendSet.empty(), null);
    public static final Route DROP = new Route(Action.DROP, BackendSet.empty(), null);

    public Route {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(backends, "backends");
        if (action == Action.FORWARD && (picker == null || backends.isEmpty())) {
            throw new IllegalArgumentException("a FORWARD route needs backends and a picker");
        }
    }

    public static Route forward(BackendSet backends, Picker picker) {
        return new Route(Action.FORWARD, backends, picker);
    }

    /** A FORWARD route over the backends, reusing {@code previous}'s picker when nothing it depends on changed. */
    public static Route forward(BackendSet backends, Algorithm algorithm, Route previous, Algorithm previousAlgorithm) {
        return forward(backends, algorithm, 0, previous, previousAlgorithm);
    }

    /**
     * As above with an explicit Maglev table size (0: the default); callers pass {@code previous} only if it
     * was built with the same size.
     */
    public static Route forward(
            BackendSet backends,
            Algorithm algorithm,
            int maglevTableSize,
            Route previous,
            Algorithm previousAlgorithm) {
        if (previous != null
                && previous.action == Action.FORWARD
                && previousAlgorithm == algorithm
                && previous.backends.equals(backends)) {
            return previous;
        }
        return new Route(Action.FORWARD, backends, Pickers.of(algorithm, backends, maglevTableSize));
    }
}
