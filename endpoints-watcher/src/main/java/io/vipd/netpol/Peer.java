package io.vipd.netpol;

/**
 * One entry of an egress rule's {@code to}. Either selectors (a {@code podSelector} alone: pods of the policy's
 * namespace; a {@code namespaceSelector} alone: every pod of the matching namespaces; both: the matching pods of
 * the matching namespaces) or an {@code ipBlock}. Immutable.
 *
 * @param podSelector       null when absent
 * @param namespaceSelector null when absent
 * @param ipBlock           null when absent; set only when both selectors are null
 */
public record Peer(LabelSelector podSelector, LabelSelector namespaceSelector, IpBlock ipBlock) {
    public Peer {
        if (ipBlock != null && (podSelector != null || namespaceSelector != null)) {
            throw new IllegalArgumentException("a peer has either selectors or an ipBlock, not both");
        }
        if (ipBlock == null && podSelector == null && namespaceSelector == null) {
            throw new IllegalArgumentException("a peer needs a podSelector, a namespaceSelector or an ipBlock");
        }
    }

    public static Peer pods(LabelSelector podSelector) {
        return new Peer(podSelector, null, null);
    }

    public static Peer namespaces(LabelSelector namespaceSelector) {
        return new Peer(null, namespaceSelector, null);
    }

    public static Peer podsInNamespaces(LabelSelector podSelector, LabelSelector namespaceSelector) {
        return new Peer(podSelector, namespaceSelector, null);
    }

    public static Peer block(IpBlock block) {
        return new Peer(null, null, block);
    }
}
