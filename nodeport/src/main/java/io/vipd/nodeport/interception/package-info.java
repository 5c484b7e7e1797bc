/**
 * How node mode brings traffic to vipd: its nftables table {@code inet vipd} (sets of frontends, TPROXY to the
 * transparent listeners, reject and drop for frontends without endpoints, source ranges), the policy routing
 * that delivers marked packets locally, the probe for client source-IP support, and the runners of the
 * {@code nft} and {@code ip} commands. Also what {@code vipd cleanup} removes.
 *
 * <p>Imports only {@code io.vipd.lb} of vipd (plus Micrometer, SLF4J and Netty's epoll probe).
 *
 * <p>Threading: {@link io.vipd.nodeport.interception.Interception} follows the service table as a table
 * listener, so its updates come from the sync thread, plus a periodic verifier thread; its methods are
 * synchronized. Rendering (rules, set elements) is pure; the command runners and policy routing are
 * thread-safe.
 */
package io.vipd.nodeport.interception;
