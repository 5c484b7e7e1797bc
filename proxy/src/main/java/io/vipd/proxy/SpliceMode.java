package io.vipd.proxy;

import java.util.Locale;

/**
 * When a TCP relay stops copying bytes through Java buffers and moves them with splice(2) through a pipe, socket
 * to socket inside the kernel (native epoll only; elsewhere every mode copies).
 */
public enum SpliceMode {
    /** Always copy. */
    OFF,
    /** Splice a connection once it streams in bulk (several full-size reads), so short exchanges keep copying. */
    AUTO,
    /** Splice every connection from its first byte (after any PROXY protocol header). */
    ON;

    /** Parses a flag value: off, auto or on (any case). */
    public static SpliceMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("splice must be off, auto or on, got '" + s + "'");
        }
    }
}
