package io.vipd.proxy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive health of one backend address on this node: after {@code threshold} consecutive connect failures
 * it is ejected for {@code backoff}, then readmitted; one success resets the count. Pickers skip ejected
 * backends unless every candidate is ejected. Lock-free: event loops race benignly on the fields.
 */
final class BackendHealth {
    private static final Logger log = LoggerFactory.getLogger(BackendHealth.class);

    private final String key;
    private final int threshold;
    private final long backoffNanos;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    /** System.nanoTime() until which the backend is ejected; 0 when it is not. */
    private volatile long ejectedUntil;

    BackendHealth(String key, int threshold, Duration backoff) {
        this.key = key;
        this.threshold = threshold;
        this.backoffNanos = backoff.toNanos();
    }

    /** Whether new flows should skip this backend now. Reads the clock only while an ejection is pending. */
    boolean isEjected() {
        long until = ejectedUntil;
        if (until == 0) {
            return false;
        }
        if (System.nanoTime() - until < 0) {
            return true;
        }
        ejectedUntil = 0;
        log.atInfo().addKeyValue("backend", key).log("backend readmitted after ejection");
        return false;
    }

    void succeeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    void failed() {
        if (consecutiveFailures.incrementAndGet() >= threshold && backoffNanos > 0) {
            consecutiveFailures.set(0);
            long until = System.nanoTime() + backoffNanos;
            ejectedUntil = until == 0 ? 1 : until;
            log.atWarn().addKeyValue("backend", key).addKeyValue("failures", threshold)
                    .addKeyValue("backoff_ms", backoffNanos / 1_000_000)
                    .log("backend ejected after consecutive connect failures");
        }
    }
}
