package io.vipd.proxy;

import io.netty.channel.EventLoop;
import java.util.ArrayDeque;

/**
 * The health checks of one event loop, and their bound: at most {@code maxInFlight} run at once; checks that
 * fall due beyond that wait their turn in order, so a burst (every backend hanging until its timeout) stretches
 * the intervals instead of opening ever more sockets. Touched by its loop only.
 */
final class CheckLoop {
    final EventLoop loop;
    private final int maxInFlight;
    private final ArrayDeque<CheckTarget> waiting = new ArrayDeque<>();
    private int inFlight;

    CheckLoop(EventLoop loop, int maxInFlight) {
        this.loop = loop;
        this.maxInFlight = maxInFlight;
    }

    /** A target's check is due: runs it now, or once a running one has finished. */
    void due(CheckTarget target) {
        if (inFlight < maxInFlight) {
            inFlight++;
            target.begin();
        } else {
            waiting.add(target);
        }
    }

    /** A check finished: the next waiting one, if any, takes its place. */
    void finished() {
        inFlight--;
        while (inFlight < maxInFlight && !waiting.isEmpty()) {
            CheckTarget next = waiting.poll();
            if (!next.stopped()) {
                inFlight++;
                next.begin();
            }
        }
    }

    /** How many checks wait for a free place now. */
    int waiting() {
        return waiting.size();
    }
}
