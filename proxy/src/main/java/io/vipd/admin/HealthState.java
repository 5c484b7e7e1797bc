package io.vipd.admin;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * kube-proxy's proxy health model (pkg/proxy/healthcheck/proxy_health.go): the source of desired state
 * calls {@link #queuedUpdate()} when a change is queued and {@link #updated()} once it is applied. The
 * proxy is unhealthy while an update has been pending for longer than the health timeout; it is healthy
 * while starting up, before any update. {@code /healthz} also requires node eligibility (false once the
 * Node is being deleted); {@code /livez} does not. Thread-safe.
 */
public final class HealthState {
    private final InstantSource clock;
    private final Duration healthTimeout;
    private Instant lastUpdated;
    private Instant oldestPending;
    private boolean nodeEligible = true;
    private volatile BooleanSupplier sourceStopped = () -> false;

    public HealthState(InstantSource clock, Duration healthTimeout) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.healthTimeout = Objects.requireNonNull(healthTimeout, "healthTimeout");
    }

    /** A change was queued: remembers when the oldest still-pending one was queued. */
    public synchronized void queuedUpdate() {
        if (oldestPending == null) {
            oldestPending = clock.instant();
        }
    }

    /** Everything queued so far is applied. */
    public synchronized void updated() {
        oldestPending = null;
        lastUpdated = clock.instant();
    }

    public synchronized void setNodeEligible(boolean eligible) {
        nodeEligible = eligible;
    }

    /**
     * A source of desired state that can stop for good (an informer that cannot read an object). While it says
     * so, no update can ever arrive, so the proxy is unhealthy: /livez fails and the kubelet restarts vipd,
     * which lists everything afresh.
     */
    public void failWhile(BooleanSupplier stopped) {
        sourceStopped = Objects.requireNonNull(stopped, "stopped");
    }

    /** A consistent reading of the state at one instant. */
    public synchronized Snapshot snapshot() {
        Instant now = clock.instant();
        boolean healthy =
                (oldestPending == null || Duration.between(oldestPending, now).compareTo(healthTimeout) <= 0)
                        && !sourceStopped.getAsBoolean();
        return new Snapshot(now, lastUpdated, healthy, nodeEligible);
    }

    /**
     * @param currentTime  when the reading was taken
     * @param lastUpdated  the last applied update, or null before the first
     * @param healthy      no update pending for longer than the health timeout
     * @param nodeEligible the node is not being deleted
     */
    public record Snapshot(Instant currentTime, Instant lastUpdated, boolean healthy, boolean nodeEligible) {}
}
