package io.vipd.handover;

import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listening sockets received from the predecessor, not yet owned by any channel of this process. A component
 * about to bind an address claims the sockets bound to it first (a SO_REUSEPORT group arrives as several) and
 * builds its channels over them; whatever nobody claims is closed once this process serves. Thread-safe.
 */
public final class InheritedListeners {
    private static final Logger log = LoggerFactory.getLogger(InheritedListeners.class);
    /** For a process with no predecessor. */
    private static final InheritedListeners NONE = new InheritedListeners(Map.of());

    private final Map<ListenerAddress, List<FileDescriptor>> unclaimed;

    InheritedListeners(Map<ListenerAddress, List<FileDescriptor>> received) {
        this.unclaimed = new LinkedHashMap<>(received);
    }

    public static InheritedListeners none() {
        return NONE;
    }

    /**
     * Takes the sockets bound to {@code address}; the caller owns them from now on (a channel built over a
     * descriptor closes it). Empty when none was inherited: bind a new socket.
     */
    public synchronized List<Integer> claim(ListenerAddress address) {
        List<FileDescriptor> fds = unclaimed.remove(address);
        if (fds == null) {
            return List.of();
        }
        List<Integer> ints = new ArrayList<>(fds.size());
        for (FileDescriptor fd : fds) {
            ints.add(fd.intValue());
        }
        return ints;
    }

    /** Addresses inherited and not claimed yet. */
    public synchronized List<ListenerAddress> unclaimedAddresses() {
        return List.copyOf(unclaimed.keySet());
    }

    public synchronized int size() {
        int n = 0;
        for (List<FileDescriptor> fds : unclaimed.values()) {
            n += fds.size();
        }
        return n;
    }

    /**
     * Closes the sockets nobody claimed (a frontend the new configuration dropped): this process's copy goes,
     * and with the predecessor's copy closed too, the socket itself.
     */
    public synchronized void closeUnclaimed() {
        for (Map.Entry<ListenerAddress, List<FileDescriptor>> e : unclaimed.entrySet()) {
            log.atInfo().addKeyValue("listener", e.getKey()).log("closing an inherited listener nothing claimed");
            for (FileDescriptor fd : e.getValue()) {
                try {
                    fd.close();
                } catch (IOException ex) {
                    log.atDebug()
                            .addKeyValue("listener", e.getKey())
                            .setCause(ex)
                            .log("close failed");
                }
            }
        }
        unclaimed.clear();
    }
}
