package io.vipd.admin;

import io.vipd.lb.Addresses;
import java.net.InetSocketAddress;

/** An admin server address could not be bound; the message names it and the reason. */
public final class AdminBindException extends Exception {
    private static final long serialVersionUID = 1L;

    public AdminBindException(InetSocketAddress address, String reason, Throwable cause) {
        super("cannot listen on " + Addresses.key(address) + ": " + reason, cause);
    }
}
