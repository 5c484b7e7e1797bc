package io.vipd.nodeport.interception;

/**
 * The sets of vipd's nftables table {@code inet vipd}. Names and types MUST NOT change without a
 * migration: a restarted vipd adopts the table an older one left behind.
 */
public enum NftSet {
    /** ClusterIP, externalIP and LoadBalancer frontends that vipd intercepts. */
    FRONTENDS_V4("frontends-v4", "ipv4_addr . inet_proto . inet_service", false),
    FRONTENDS_V6("frontends-v6", "ipv6_addr . inet_proto . inet_service", false),
    /** NodePorts (protocol and port), matched on the node addresses below. */
    NODEPORTS("nodeports", "inet_proto . inet_service", false),
    /** The node addresses --nodeport-addresses selects. */
    NODEPORT_IPS_V4("nodeport-ips-v4", "ipv4_addr", false),
    NODEPORT_IPS_V6("nodeport-ips-v6", "ipv6_addr", false),
    /** Frontends of service ports with no usable endpoint anywhere: reject (kube-proxy-semantics.md §1.10). */
    REJECT_V4("no-endpoint-reject-v4", "ipv4_addr . inet_proto . inet_service", false),
    REJECT_V6("no-endpoint-reject-v6", "ipv6_addr . inet_proto . inet_service", false),
    REJECT_NODEPORTS("no-endpoint-reject-nodeports", "inet_proto . inet_service", false),
    /** ClusterIPs of internalTrafficPolicy Local ports with endpoints only on other nodes: drop. */
    DROP_V4("no-local-endpoint-drop-v4", "ipv4_addr . inet_proto . inet_service", false),
    DROP_V6("no-local-endpoint-drop-v6", "ipv6_addr . inet_proto . inet_service", false),
    /**
     * External frontends of externalTrafficPolicy Local ports with endpoints only on other nodes: drop,
     * except pod- and host-originated traffic, which kube-proxy short-circuits to the cluster endpoints.
     */
    DROP_EXTERNAL_V4("no-local-endpoint-drop-external-v4", "ipv4_addr . inet_proto . inet_service", false),
    DROP_EXTERNAL_V6("no-local-endpoint-drop-external-v6", "ipv6_addr . inet_proto . inet_service", false),
    DROP_EXTERNAL_NODEPORTS("no-local-endpoint-drop-nodeports", "inet_proto . inet_service", false),
    /** The pod CIDRs (--cluster-cidr): sources whose external traffic is short-circuited. */
    CLUSTER_CIDRS_V4("cluster-cidrs-v4", "ipv4_addr", true),
    CLUSTER_CIDRS_V6("cluster-cidrs-v6", "ipv6_addr", true),
    /** LoadBalancer frontends with loadBalancerSourceRanges, and the sources each one allows. */
    FIREWALL_V4("firewall-v4", "ipv4_addr . inet_proto . inet_service", false),
    FIREWALL_V6("firewall-v6", "ipv6_addr . inet_proto . inet_service", false),
    FIREWALL_ALLOW_V4("firewall-allow-v4", "ipv4_addr . inet_proto . inet_service . ipv4_addr", true),
    FIREWALL_ALLOW_V6("firewall-allow-v6", "ipv6_addr . inet_proto . inet_service . ipv6_addr", true),
    /**
     * SCTP, which TPROXY cannot intercept, is forwarded in the kernel ({@link SctpForwarding}): these maps send
     * an SCTP frontend's new associations to its service port's chain, which DNATs them to an endpoint.
     */
    SCTP_SERVICE_IPS_V4("sctp-service-ips-v4", "ipv4_addr . inet_proto . inet_service : verdict", false),
    SCTP_SERVICE_IPS_V6("sctp-service-ips-v6", "ipv6_addr . inet_proto . inet_service : verdict", false),
    /** SCTP NodePorts per family (each family's endpoints have their own chains), on the NodePort addresses. */
    SCTP_NODEPORTS_V4("sctp-nodeports-v4", "inet_proto . inet_service : verdict", false),
    SCTP_NODEPORTS_V6("sctp-nodeports-v6", "inet_proto . inet_service : verdict", false);

    private final String setName;
    private final String type;
    private final boolean interval;

    NftSet(String setName, String type, boolean interval) {
        this.setName = setName;
        this.type = type;
        this.interval = interval;
    }

    public String setName() {
        return setName;
    }

    public String type() {
        return type;
    }

    public boolean interval() {
        return interval;
    }

    /** A verdict map (elements {@code key : verdict}) rather than a set. */
    public boolean map() {
        return type.endsWith(": verdict");
    }

    /** An element's key: what {@code delete element} takes (a map element without its verdict). */
    String key(String element) {
        int colon = element.indexOf(" : ");
        return map() && colon >= 0 ? element.substring(0, colon) : element;
    }
}
