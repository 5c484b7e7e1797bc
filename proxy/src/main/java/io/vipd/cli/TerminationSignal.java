package io.vipd.cli;

import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a future, so a long-running command drains and returns exit code 0 instead of
 * the JVM's default 143/130. A second signal while draining exits at once.
 */
final class TerminationSignal {
    private static final Logger log = LoggerFactory.getLogger(TerminationSignal.class);

    private TerminationSignal() {}

    /** Installs the handlers; the future completes with "TERM" or "INT". */
    static CompletableFuture<String> install() {
        CompletableFuture<String> received = new CompletableFuture<>();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), s -> {
                if (!received.complete(s.getName())) {
                    log.atWarn().addKeyValue("signal", s.getName()).log("second signal: exiting without draining");
                    Runtime.getRuntime().halt(1);
                }
            });
        }
        return received;
    }
}
