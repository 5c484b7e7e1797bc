package io.vipd.node;

import java.util.Locale;

/**
 * kube-proxy's {@code --detect-local-mode}: how a node tells traffic from its own pods ("local") from the rest.
 * Local traffic keeps the client's address to a ClusterIP ({@code --source-ip=client}) and is short-circuited to
 * every endpoint of an externalTrafficPolicy Local Service. Immutable.
 *
 * @param mode                the mode
 * @param bridgeInterface     BridgeInterface: the pods' bridge (--pod-bridge-interface)
 * @param interfaceNamePrefix InterfaceNamePrefix: the pods' interface name prefix (--pod-interface-name-prefix)
 */
public record LocalDetection(Mode mode, String bridgeInterface, String interfaceNamePrefix) {
    /** The modes, by kube-proxy's names. */
    public enum Mode {
        /** Sources inside --cluster-cidr. */
        CLUSTER_CIDR("ClusterCIDR"),
        /** Sources inside this Node's spec.podCIDRs. */
        NODE_CIDR("NodeCIDR"),
        /** Sources behind the pods' bridge: the destinations the node routes through it. */
        BRIDGE_INTERFACE("BridgeInterface"),
        /** Sources behind an interface whose name has the prefix: the destinations routed through one. */
        INTERFACE_NAME_PREFIX("InterfaceNamePrefix");

        private final String kubeName;

        Mode(String kubeName) {
            this.kubeName = kubeName;
        }

        public String kubeName() {
            return kubeName;
        }

        /** Parses kube-proxy's name (case-insensitive); "" is ClusterCIDR, kube-proxy's default. */
        public static Mode parse(String value) {
            if (value == null || value.isBlank()) {
                return CLUSTER_CIDR;
            }
            for (Mode m : values()) {
                if (m.kubeName.toLowerCase(Locale.ROOT).equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return m;
                }
            }
            throw new IllegalArgumentException("detect-local-mode: \"" + value
                    + "\" is not one of ClusterCIDR, NodeCIDR, BridgeInterface, InterfaceNamePrefix");
        }
    }

    public static final LocalDetection CLUSTER_CIDR = new LocalDetection(Mode.CLUSTER_CIDR, "", "");

    /** @throws IllegalArgumentException when the mode's companion setting is missing, as kube-proxy validates */
    public LocalDetection {
        bridgeInterface = bridgeInterface == null ? "" : bridgeInterface.trim();
        interfaceNamePrefix = interfaceNamePrefix == null ? "" : interfaceNamePrefix.trim();
        if (mode == Mode.BRIDGE_INTERFACE && bridgeInterface.isEmpty()) {
            throw new IllegalArgumentException(
                    "detect-local-mode BridgeInterface needs --pod-bridge-interface (detectLocal.bridgeInterface)");
        }
        if (mode == Mode.INTERFACE_NAME_PREFIX && interfaceNamePrefix.isEmpty()) {
            throw new IllegalArgumentException("detect-local-mode InterfaceNamePrefix needs "
                    + "--pod-interface-name-prefix (detectLocal.interfaceNamePrefix)");
        }
    }

    /** Whether an interface carries this node's pods (the interface modes only). */
    public boolean podInterface(String name) {
        return switch (mode) {
            case BRIDGE_INTERFACE -> name.equals(bridgeInterface);
            case INTERFACE_NAME_PREFIX -> name.startsWith(interfaceNamePrefix);
            default -> false;
        };
    }
}
