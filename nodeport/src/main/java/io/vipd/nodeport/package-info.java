/**
 * The node's own side of a Kubernetes Service: which node addresses exist and which of them accept NodePort
 * traffic ({@code --nodeport-addresses}), and the healthCheckNodePort HTTP servers that report each
 * externalTrafficPolicy Local service's local endpoints the way kube-proxy does.
 *
 * <p>Imports only {@code io.vipd.lb} of vipd (plus Netty, Micrometer, SLF4J).
 *
 * <p>Threading: address discovery and selection are stateless and safe from any thread. The healthCheckNodePort
 * servers are changed only from the sync thread; requests are answered on their own event loop, which reads the
 * endpoint counts from a concurrent map. Settings and answers are immutable values.
 */
package io.vipd.nodeport;
