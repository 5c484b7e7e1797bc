package io.vipd.lb;

import java.util.Locale;

/** Whether the proxy sends a PROXY protocol header to the backend before the client's bytes. */
public enum ProxyProtocol {
    NONE,
    V1,
    V2;

    public static ProxyProtocol parse(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        try {
            return valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown proxyProtocol \"" + value + "\" (want none, v1 or v2)");
        }
    }
}
