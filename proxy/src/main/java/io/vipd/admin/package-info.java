/**
 * The admin HTTP server: kube-proxy's {@code /healthz} and {@code /livez} with their bodies and counters, the
 * Prometheus {@code /metrics} registry (with kube-proxy's metric names where they mean the same), and the
 * {@code /services} status document and page that {@code vipd services} prints, which {@link
 * io.vipd.admin.StatusMetrics} also turns into per-backend metric series at each scrape; and the admin actions
 * ({@link io.vipd.admin.AdminAction}: POST, from loopback only) behind {@code vipd backend drain}.
 *
 * <p>Imports {@code io.vipd.proxy} (the engine's runtime stats it reports) and {@code io.vipd.lb}; nothing from
 * the command line, edge, node, watcher or nodeport.
 *
 * <p>Threading: the server runs on its own one-thread event loop, so a slow scrape never touches the forwarding
 * loops; handlers run there and must stay short. {@link io.vipd.admin.HealthState} is written by the sync
 * thread and read by the admin loop (thread-safe); responses and status snapshots are immutable.
 */
package io.vipd.admin;
