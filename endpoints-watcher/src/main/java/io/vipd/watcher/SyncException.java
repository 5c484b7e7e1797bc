package io.vipd.watcher;

/** A sync could not build some service ports; they stay as they were and are retried at the next sync. */
public final class SyncException extends RuntimeException {
    public SyncException(String message) {
        super(message);
    }
}
