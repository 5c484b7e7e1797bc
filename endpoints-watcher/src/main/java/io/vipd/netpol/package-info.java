/**
 * Kubernetes NetworkPolicy egress semantics (networking.k8s.io/v1) for {@code vipd node}'s pick-time enforcement
 * (docs/network-policy.md): the policies, pods and namespaces as small immutable records, their conversion from
 * fabric8 objects, and {@link io.vipd.netpol.PolicySnapshot}, which answers which destinations a client pod may
 * reach on which ports and compiles that answer per client into an {@link io.vipd.lb.EgressAllowance} the data
 * plane asks per backend candidate.
 *
 * <p>Imports only {@code io.vipd.lb} of vipd (plus the fabric8 model for conversions). Pure: no I/O, no clocks,
 * no threads. Everything is immutable once built, so a snapshot and what it compiled are shared freely across
 * threads; the watcher builds a new snapshot when the cluster changes and the data plane swaps it in whole.
 */
package io.vipd.netpol;
