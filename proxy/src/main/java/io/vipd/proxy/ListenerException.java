package io.vipd.proxy;

import io.vipd.lb.Frontend;

/**
 * A listener could not be opened. The message names the address and the reason, e.g.
 * {@code "127.0.0.1:8080/TCP: Address already in use"}.
 */
public final class ListenerException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Frontend frontend;

    public ListenerException(Frontend frontend, String reason, Throwable cause) {
        super(frontend + ": " + reason, cause);
        this.frontend = frontend;
    }

    public ListenerException(String message, Throwable cause) {
        super(message, cause);
        this.frontend = null;
    }

    /** The frontend whose bind failed, or null for a transparent listener. */
    public Frontend frontend() {
        return frontend;
    }
}
