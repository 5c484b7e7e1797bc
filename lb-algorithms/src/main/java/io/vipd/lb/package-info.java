/**
 * Where a flow goes, with no I/O: backends and backend sets, Maglev tables and the other pickers, flow hashing,
 * ClientIP affinity, frontends, service port entries and the {@link io.vipd.lb.ServiceTable} that maps frontends
 * to them. The one thing the control plane (watcher, edge) and the data plane (proxy) share.
 *
 * <p>Imports no other vipd package; only the JDK and Guava.
 *
 * <p>Threading: values (backends, sets, Maglev tables, routes, entries) are immutable once built, so any thread
 * may read them without locks. The sync thread builds entries and is the only writer of a
 * {@link io.vipd.lb.ServiceTable}; event loops read it lock-free and allocation-free on every new connection or
 * flow, and call pickers, which hold everything they need frozen at build time. The few mutable pieces are
 * thread-safe and lock-free on the read path ({@link io.vipd.lb.AffinityTable}, a picker's own counter), and
 * table listeners run on the thread that applied the change.
 */
package io.vipd.lb;
