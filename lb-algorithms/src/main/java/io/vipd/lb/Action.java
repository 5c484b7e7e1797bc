package io.vipd.lb;

/**
 * What a frontend does with a new flow, as kube-proxy decides (kube-proxy-semantics.md §1.10): FORWARD to a
 * backend; REJECT when the service port has no usable endpoint anywhere (TCP: refused or reset at once);
 * DROP when a Local policy has endpoints only on other nodes (no answer at all).
 */
public enum Action {
    FORWARD,
    REJECT,
    DROP;

    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
