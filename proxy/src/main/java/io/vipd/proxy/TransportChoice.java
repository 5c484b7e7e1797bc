package io.vipd.proxy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.Locale;

/**
 * Which socket implementation the engine asks for. {@link #AUTO} takes the measured winner; until the benchmark
 * says otherwise that is native epoll when the platform has it, else NIO (today's behaviour).
 */
public enum TransportChoice {
    AUTO,
    EPOLL,
    IO_URING,
    NIO;

    /** The command-line spelling: {@code auto}, {@code epoll}, {@code io_uring}, {@code nio}. */
    public String flagValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException for anything but the four spellings of {@link #flagValue()}
     */
    public static TransportChoice parse(String value) {
        for (TransportChoice c : values()) {
            if (c.flagValue().equals(value)) {
                return c;
            }
        }
        throw new IllegalArgumentException("want auto, epoll, io_uring or nio, got \"" + value + "\"");
    }

    /**
     * Why this explicit choice cannot run here (its native library or the kernel refuses it); null when it can.
     * {@link #AUTO} and {@link #NIO} always can.
     */
    public String unavailableReason() {
        Throwable cause = switch (this) {
            case EPOLL -> Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
            case IO_URING -> IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
            case AUTO, NIO -> null;
        };
        if (cause == null) {
            return null;
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
}
