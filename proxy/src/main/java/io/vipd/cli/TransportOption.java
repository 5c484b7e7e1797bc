package io.vipd.cli;

import io.vipd.proxy.TransportChoice;
import picocli.CommandLine.Option;

/** {@code --transport}, shared by {@code vipd edge}, {@code vipd node} (through {@link ForwardingOptions}) and {@code vipd demo}. */
public final class TransportOption {
    @Option(
            names = "--transport",
            paramLabel = "NAME",
            defaultValue = "auto",
            description = "socket implementation: epoll, io_uring, nio or auto (for now epoll when the platform "
                    + "has it, else nio: io_uring is not yet measured to win). io_uring moves bytes through buffers "
                    + "(no splice) and serves the transparent UDP listener and inherited TCP listeners on epoll "
                    + "loops (default ${DEFAULT-VALUE})")
    String transport = "auto";

    /**
     * The choice, checked against this machine.
     *
     * @throws IllegalArgumentException naming {@code --transport}: an unknown name, or a transport this machine
     *     cannot run (with the cause: the native library or the kernel)
     */
    public TransportChoice choice() {
        TransportChoice choice;
        try {
            choice = TransportChoice.parse(transport);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--transport " + transport + ": " + e.getMessage(), e);
        }
        String unavailable = choice.unavailableReason();
        if (unavailable != null) {
            throw new IllegalArgumentException(
                    "--transport " + transport + ": not available on this machine: " + unavailable);
        }
        return choice;
    }
}
