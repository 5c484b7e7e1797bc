/**
 * Measurements, never tests: the JMH micro-benchmarks (Maglev build and lookup, affinity, service table,
 * change tracker) and the Java side of the network benchmark harness that {@code bench/run} drives (iptables and
 * nftables rule generators, UDP echo and load, the endpoint-change poller, the in-process table build, the
 * Kubernetes API server {@code vipd node} watches, idle-connection memory, the report).
 *
 * <p>May import any vipd module; nothing imports it.
 *
 * <p>Threading: harness commands are short-lived programs on their main thread (the UDP tools and the API server
 * add their own threads); JMH state is per benchmark thread or per benchmark as each class declares.
 */
package io.vipd.bench;
