/**
 * Hand-over: a running vipd gives its listening sockets to its successor over a Unix socket in the state
 * directory (SCM_RIGHTS), so an upgrade or restart refuses no connection; {@link io.vipd.handover.Succession}
 * is the sequence a composition follows, {@link io.vipd.handover.HandoverServer} and
 * {@link io.vipd.handover.HandoverClient} the two sides of the conversation.
 *
 * <p>May import: Netty (transport, epoll, unix), SLF4J. Threading: each side talks on its own one-thread event
 * loop; the successor's start-up thread blocks on the conversation; {@link io.vipd.handover.HeldListeners} and
 * {@link io.vipd.handover.InheritedListeners} are thread-safe.
 */
package io.vipd.handover;
