/**
 * Table snapshots: the service table a vipd last applied, kept in its state directory so that a restart serves
 * at once, before the API server answers. A checksummed, versioned binary file, written atomically on a
 * background thread at most once per interval.
 *
 * <p>May import: {@code io.vipd.lb}, SLF4J. Threading: {@link io.vipd.snapshot.SnapshotWriter} is a table
 * listener that hands writes to its own thread; the codec and the store are stateless or single-writer.
 */
package io.vipd.snapshot;
