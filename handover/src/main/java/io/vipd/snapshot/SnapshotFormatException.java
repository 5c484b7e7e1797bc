package io.vipd.snapshot;

/** A snapshot file that is not one this version can read: corrupt, truncated, or of another format version. */
public final class SnapshotFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public SnapshotFormatException(String message) {
        super(message);
    }

    public SnapshotFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
