package io.vipd.watcher;

/**
 * Told when a change is queued for the next sync and when a sync finished, as kube-proxy's healthz server is
 * told with QueuedUpdate and Updated. /healthz turns unhealthy when a queued change waits too long.
 */
public interface SyncObserver {
    SyncObserver NONE = new SyncObserver() {
        @Override
        public void queued() {}

        @Override
        public void synced() {}
    };

    /** A change is pending; called on the source thread. */
    void queued();

    /** A sync completed and the table is current; called on the sync thread. */
    void synced();
}
