package io.vipd.lb;

import java.net.InetAddress;

/**
 * Which clients an egress policy restricts, and to what: the data plane asks once per new flow and then asks the
 * returned {@link EgressAllowance} about each candidate backend. Node mode supplies one built from Kubernetes
 * NetworkPolicies; edge mode and tests use {@link #NONE}. Must be allocation-free and thread-safe; an
 * implementation is replaced whole when the policies change, never mutated.
 */
@FunctionalInterface
public interface EgressFilter {
    /** No client is restricted. */
    EgressFilter NONE = client -> null;

    /** The restriction on flows from {@code client}, or null when nothing restricts it (it may reach anything). */
    EgressAllowance allowanceFor(InetAddress client);
}
