package io.vipd.cli;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP, which the JVM otherwise answers by exiting at once (code 129, no drain). {@code vipd edge} reloads its
 * configuration on it, as HAProxy and nginx do; {@code vipd node} ignores it, as kube-proxy does.
 *
 * <p>A reload runs on its own thread, never on the signal's, and one at a time. At most one more waits behind
 * the one running: a burst of signals folds into it, and since it has not read the file yet it sees the latest.
 */
final class HangupSignal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HangupSignal.class);
    private static final Signal HUP = new Signal("HUP");

    private final Runnable reload;
    private final ThreadPoolExecutor reloads;

    HangupSignal(Runnable reload) {
        this.reload = () -> {
            log.atInfo().log("reloading on SIGHUP");
            try {
                reload.run();
            } catch (RuntimeException e) {
                log.atError().setCause(e).log("reload on SIGHUP failed");
            }
        };
        // One thread, one waiting slot; a request finding the slot taken is already covered by the one waiting.
        reloads = new ThreadPoolExecutor(
                1,
                1,
                0,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(1),
                r -> {
                    Thread t = new Thread(r, "vipd-reload");
                    t.setDaemon(true);
                    return t;
                },
                (r, executor) -> {
                    if (executor.isShutdown()) {
                        log.atInfo().log("SIGHUP ignored: shutting down");
                    } else {
                        log.atDebug().log("SIGHUP folded into the reload already waiting");
                    }
                });
    }

    /** Reloads on every SIGHUP from now on, until {@link #close()}; logs a warning if the JVM does not allow it. */
    static HangupSignal reloadOn(Runnable reload) {
        HangupSignal hangup = new HangupSignal(reload);
        hangup.install();
        return hangup;
    }

    /** Logs and otherwise ignores every SIGHUP from now on; {@code why} ends the log line. */
    static void ignore(String why) {
        handle(s -> log.atInfo().log("SIGHUP ignored: " + why));
    }

    private void install() {
        if (!handle(s -> request())) {
            log.atWarn()
                    .log("SIGHUP was ignored when this process started (nohup?) and stays so: "
                            + "the configuration is reloaded by the file watch only");
        }
    }

    /** Installs the handler; false when the process inherited SIGHUP as ignored, which the JVM then keeps. */
    private static boolean handle(SignalHandler handler) {
        try {
            return Signal.handle(HUP, handler) != SignalHandler.SIG_IGN;
        } catch (IllegalArgumentException e) {
            // -Xrs, or a JVM that keeps SIGHUP for itself: the signal keeps its default action.
            log.atWarn().addKeyValue("reason", e.getMessage()).log("cannot handle SIGHUP; it will end the process");
            return true;
        }
    }

    /** Asks for a reload; never blocks. */
    void request() {
        reloads.execute(reload);
    }

    /** Ignores later signals and waits for the reload running and the one waiting, if any, to end. */
    @Override
    public void close() {
        reloads.shutdown();
        try {
            reloads.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
