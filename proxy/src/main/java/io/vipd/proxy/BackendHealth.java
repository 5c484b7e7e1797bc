package io.vipd.proxy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive health of one backend address on this node: after {@code threshold} consecutive connect failures
 * it is ejected for {@code backoff}, then readmitted on probation: its first connect decides, a success clears
 * everything and a failure ejects it again at once for twice the previous time (up to {@link #MAX_BACKOFF} or
 * {@code backoff}, whichever is longer). So a backend that stays dead costs one failed connect per ejection
 * period, at longer and longer intervals, instead of {@code threshold} every {@code backoff}; each such connect
 * may hold a client for the connect timeout when the backend drops SYNs. Pickers skip ejected backends unless
 * every candidate is ejected. Lock-free: event loops race benignly on the counters; ejecting is a CAS, so one
 * failure ejects once.
 */
final class BackendHealth {
    private static final Logger log = LoggerFactory.getLogger(BackendHealth.class);
    /** Envoy's outlier detection caps its ejection time at the same 300 s by default. */
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final String key;
    private final int threshold;
    private final long backoffNanos;
    private final long maxBackoffNanos;
    private final LongSupplier nanoTime;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    /** nanoTime until which the backend is ejected; 0 when it is not. */
    private final AtomicLong ejectedUntil = new AtomicLong();
    /** Ejections since the last successful connect; the next ejection lasts backoff × 2^ejections. */
    private final AtomicInteger ejections = new AtomicInteger();
    /** Every ejection since this record was created, for {@code vipd_backend_ejections_total}. */
    private final AtomicLong ejectionsTotal = new AtomicLong();
    /** Readmitted after an ejection and not yet connected to since: one failure ejects again. */
    private volatile boolean onProbation;

    BackendHealth(String key, int threshold, Duration backoff) {
        this(key, threshold, backoff, System::nanoTime);
    }

    BackendHealth(String key, int threshold, Duration backoff, LongSupplier nanoTime) {
        this.key = key;
        this.threshold = threshold;
        this.backoffNanos = backoff.toNanos();
        this.maxBackoffNanos = Math.max(backoffNanos, MAX_BACKOFF.toNanos());
        this.nanoTime = nanoTime;
    }

    /** Whether new flows should skip this backend now. Reads the clock only while an ejection is pending. */
    boolean isEjected() {
        long until = ejectedUntil.get();
        if (until == 0) {
            return false;
        }
        if (nanoTime.getAsLong() - until < 0) {
            return true;
        }
        if (ejectedUntil.compareAndSet(until, 0)) {
            onProbation = true;
            log.atInfo().addKeyValue("backend", key).log("backend readmitted after ejection, on probation");
        }
        return false;
    }

    /** How many times this backend was ejected since its record was created. */
    long ejectionsTotal() {
        return ejectionsTotal.get();
    }

    void succeeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
        if (onProbation) {
            onProbation = false;
        }
        if (ejections.get() != 0) {
            ejections.set(0);
        }
    }

    void failed() {
        if (backoffNanos == 0) {
            return;
        }
        if (onProbation || consecutiveFailures.incrementAndGet() >= threshold) {
            eject();
        }
    }

    private void eject() {
        int previous = ejections.get();
        long backoff = backoffNanos;
        for (int i = 0; i < previous && backoff < maxBackoffNanos; i++) {
            backoff *= 2;
        }
        backoff = Math.min(backoff, maxBackoffNanos);
        long until = nanoTime.getAsLong() + backoff;
        // Failures of connects that were in flight when the first one ejected must not eject again.
        if (!ejectedUntil.compareAndSet(0, until == 0 ? 1 : until)) {
            return;
        }
        consecutiveFailures.set(0);
        onProbation = false;
        ejections.incrementAndGet();
        ejectionsTotal.incrementAndGet();
        log.atWarn()
                .addKeyValue("backend", key)
                .addKeyValue("ejections", previous + 1)
                .addKeyValue("backoff_ms", backoff / 1_000_000)
                .log("backend ejected after failed connects");
    }
}
