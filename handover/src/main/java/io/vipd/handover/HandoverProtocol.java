package io.vipd.handover;

/**
 * The conversation on the hand-over socket, one text line per message except the descriptors themselves:
 *
 * <pre>
 * successor                          running process
 * HELLO 1 &lt;mode&gt; &lt;pid&gt;      -&gt;
 *                                &lt;-   OFFER &lt;n&gt;, then n lines "tcp|udp ADDRESS PORT"   (or REFUSED &lt;why&gt;)
 * SEND                           -&gt;   (the successor now reads descriptors only)
 *                                &lt;-   up to BATCH descriptors (SCM_RIGHTS), in the offer's order
 * MORE                           -&gt;   after each full batch while descriptors remain
 *                                &lt;-   the next batch
 * RECEIVED                       -&gt;
 *                                &lt;-   RELEASED   (it stopped accepting and reading on every listener)
 * SERVING                        -&gt;   (the successor accepts on them now)
 *                                &lt;-   BYE        (it closed its listeners and its hand-over socket)
 * </pre>
 *
 * If the conversation ends before SERVING, the running process reads and accepts again as before, so a
 * successor that dies or gives up at any step leaves it serving; between RELEASED and SERVING nobody accepts,
 * and connections wait in the sockets' accept queues, which moved intact.
 */
final class HandoverProtocol {
    static final int VERSION = 1;
    static final String HELLO = "HELLO";
    static final String OFFER = "OFFER";
    static final String REFUSED = "REFUSED";
    static final String SEND = "SEND";
    static final String MORE = "MORE";
    static final String RECEIVED = "RECEIVED";
    static final String RELEASED = "RELEASED";
    static final String SERVING = "SERVING";
    static final String BYE = "BYE";
    /**
     * Descriptors sent before waiting for the successor: each one travels as its own small message, and a socket
     * buffer holds a few hundred of them; writing more than that at once fails in Netty's domain socket channel.
     */
    static final int BATCH = 64;

    /** Longest line either side sends (an offer line holds an IPv6 address and a port). */
    static final int MAX_LINE = 256;

    private HandoverProtocol() {}
}
