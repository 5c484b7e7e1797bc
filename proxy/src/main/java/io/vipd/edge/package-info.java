/**
 * {@code vipd edge} composed: the standalone load balancer configured by a YAML file (the compact
 * {@code services:} format, or Kubernetes manifests read with the watcher's semantics), its loader with
 * file-and-line errors, the file watcher that reloads it, and the applier that moves the table and the
 * listeners from one configuration to the next touching only what changed.
 *
 * <p>Imports the data plane, admin, the watcher and lb (the layers below it); never the command line or node.
 *
 * <p>Threading: one reload thread (the file watcher's) loads and applies configurations, serialized by the
 * runtime, so the applier is single-threaded and the table has one writer. Parsed configurations are immutable.
 * Traffic runs on the data plane's event loops; status and health are served from the admin loop.
 */
package io.vipd.edge;
