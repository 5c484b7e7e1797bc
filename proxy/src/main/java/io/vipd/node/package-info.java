/**
 * {@code vipd node} composed, as a kube-proxy replacement: the settings merged from flags and a
 * KubeProxyConfiguration, the Kubernetes watcher feeding the table, the transparent data plane with the
 * client source-IP policy, nftables interception, the healthCheckNodePort servers and the admin servers.
 *
 * <p>Imports the data plane, admin, the watcher, nodeport and lb (the layers below it); never the command line
 * or edge.
 *
 * <p>Threading: started and shut down once, from the command's thread. After start, the watcher's sync thread
 * drives everything that follows the table (interception, health-check servers, health state), a verifier
 * thread re-checks the nftables table every sync period, and traffic runs on the data plane's event loops.
 * Settings are immutable.
 */
package io.vipd.node;
