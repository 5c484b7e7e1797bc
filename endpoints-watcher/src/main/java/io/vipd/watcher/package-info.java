/**
 * Desired state from its sources to the {@link io.vipd.lb.ServiceTable}, with kube-proxy's semantics: the
 * Kubernetes API through fabric8 informers (Services, EndpointSlices, this node's Node) or manifest files, the
 * service and endpoints change trackers, endpoint categorization (topology, traffic policies, terminating
 * endpoints), the bounded-frequency sync runner and kube-proxy's sync metrics.
 *
 * <p>Imports only {@code io.vipd.lb} of vipd (plus fabric8, snakeyaml-engine, Micrometer, SLF4J). It holds no
 * data-plane state: it writes the table and never reads what the proxy counts.
 *
 * <p>Threading: informer callbacks (fabric8's threads) and file reloads only convert objects into immutable
 * value projections and stage them in the trackers, which is thread-safe and cheap. One sync thread (the
 * {@link io.vipd.watcher.SyncRunner}) drains what is staged, builds entries and applies them to the table, so
 * the table has a single writer. Conversions and categorization are pure functions.
 */
package io.vipd.watcher;
