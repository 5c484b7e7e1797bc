package io.vipd.watcher;

import java.time.Duration;
import java.util.Objects;

/**
 * How vipd talks to the API server, from kube-proxy's {@code clientConnection} and {@code configSyncPeriod}.
 * Immutable.
 *
 * @param qps          sustained requests per second (kube-proxy's --kube-api-qps); 0 or less: unlimited
 * @param burst        requests that may go at once before {@code qps} applies (--kube-api-burst)
 * @param resyncPeriod how often the whole table is reconciled with the informers' state even without a change
 *                     (--config-sync-period)
 */
public record ApiClientSettings(float qps, int burst, Duration resyncPeriod) {
    /** kube-proxy's client defaults (5 QPS, burst 10) and vipd's hourly reconcile. */
    public static final ApiClientSettings DEFAULTS = new ApiClientSettings(5, 10, WatcherRuntime.MAX_SYNC_INTERVAL);

    public ApiClientSettings {
        Objects.requireNonNull(resyncPeriod, "resyncPeriod");
        if (resyncPeriod.isZero() || resyncPeriod.isNegative()) {
            throw new IllegalArgumentException("config-sync-period: must be greater than 0, got " + resyncPeriod);
        }
        if (burst < 0) {
            throw new IllegalArgumentException("kube-api-burst: must not be negative, got " + burst);
        }
    }
}
