package io.vipd.proxy;

import java.util.Locale;

/** How a TCP connection or UDP flow ended, as the access log's {@code result} says it. */
public enum AccessLogResult {
    /** Relayed until one side closed (a UDP flow: until it idled out or the proxy stopped). */
    OK,
    /** No backend answered any of the connect attempts. */
    CONNECT_FAILED,
    /** Ended by an error on either side, or by the proxy's shutdown. */
    RESET,
    /** Reset after the idle timeout (a UDP flow: evicted idle). */
    IDLE_TIMEOUT,
    /** Refused: the service rejects (or drops) it, a source outside its ranges, or an invalid PROXY header. */
    REJECTED,
    /** No backend to send it to, or no service takes its TLS server name. */
    NO_BACKEND,
    /** The service or every backend was at its connection limit. */
    OVER_LIMIT;

    private final String text = name().toLowerCase(Locale.ROOT);

    /** The lower-case word the log writes. */
    public String text() {
        return text;
    }
}
