package io.vipd.handover;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process's part in the chain of vipd processes sharing a state directory: at start it takes the
 * listening sockets from the running predecessor, if there is one; once it serves, it records itself as the
 * owner and listens for its own successor. The composition (edge, node) calls the steps in order:
 * {@link #begin}, claim sockets while opening listeners after {@link #awaitRelease}, then {@link #serving}; on
 * any failure before that, {@link #abandon} leaves the predecessor serving. Not thread-safe: start-up runs
 * on one thread.
 */
public final class Succession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Succession.class);

    private final StateDirectory dir;
    private final String mode;
    private final Duration stepTimeout;
    private final HeldListeners held = new HeldListeners();
    private final HandoverClient.Takeover takeover;
    private HandoverServer server;

    private Succession(StateDirectory dir, String mode, Duration stepTimeout, HandoverClient.Takeover takeover) {
        this.dir = dir;
        this.mode = mode;
        this.stepTimeout = stepTimeout;
        this.takeover = takeover;
    }

    /** No state directory: listeners are bound as usual and nobody can take them over. */
    public static Succession none() {
        return new Succession(null, null, Duration.ZERO, null);
    }

    /**
     * Creates the state directory if needed and asks the running vipd, if any, for its listeners. Call when
     * this process can serve (its table is ready), since the predecessor pauses as soon as this one is ready.
     *
     * @throws HandoverException a running vipd refused or the conversation broke off; it goes on serving
     */
    public static Succession begin(StateDirectory dir, String mode, Duration stepTimeout)
            throws IOException, HandoverException {
        dir.create();
        Optional<HandoverClient.Takeover> t = HandoverClient.request(dir.socket(), mode, stepTimeout);
        if (t.isEmpty()) {
            log.atInfo().addKeyValue("state_dir", dir).log("no running vipd to take over from; binding listeners");
        }
        return new Succession(dir, mode, stepTimeout, t.orElse(null));
    }

    public HeldListeners held() {
        return held;
    }

    public InheritedListeners inherited() {
        return takeover == null ? InheritedListeners.none() : takeover.listeners();
    }

    /** Whether a predecessor handed its listeners to this process. */
    public boolean tookOver() {
        return takeover != null;
    }

    /** Asks the predecessor to stop accepting: open every listener right after this, then call {@link #serving}. */
    public void awaitRelease() throws HandoverException {
        if (takeover != null) {
            takeover.awaitRelease();
        }
    }

    /**
     * This process serves: the predecessor closes its listeners and drains, inherited sockets nobody claimed are
     * closed, this process becomes the owner named in the state directory and listens for its own successor.
     *
     * @param events what to do when a successor takes over from this process
     * @param podUid the Kubernetes pod UID for the owner file (readiness), or null
     * @throws HandoverException the running process broke off after releasing: close every listener and stop
     */
    public void serving(HandoverServer.Events events, String podUid) throws IOException, HandoverException {
        if (takeover != null && !takeover.serving()) {
            // It may accept again: serving beside it would break "one process accepts". Close everything instead.
            throw new HandoverException("the running vipd broke off the hand-over after releasing its listeners, "
                    + "so it serves again; this process stops");
        }
        if (dir == null) {
            return;
        }
        server = HandoverServer.listen(dir.socket(), mode, held, events, stepTimeout);
        dir.claimOwnership(mode, podUid);
    }

    /** Start-up failed before {@link #serving}: the predecessor, if any, goes on serving. */
    public void abandon() {
        if (takeover != null) {
            takeover.close();
        }
    }

    /** Stops listening for a successor (shutdown). */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
