package io.vipd.handover;

/** A hand-over that could not go ahead: refused by the running process, broken off, or timed out. */
public final class HandoverException extends Exception {
    private static final long serialVersionUID = 1L;

    public HandoverException(String message) {
        super(message);
    }

    public HandoverException(String message, Throwable cause) {
        super(message, cause);
    }
}
