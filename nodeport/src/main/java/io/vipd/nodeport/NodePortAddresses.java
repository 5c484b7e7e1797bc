package io.vipd.nodeport;

import io.vipd.lb.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The parsed {@code --nodeport-addresses} / {@code nodePortAddresses} setting: CIDRs, plus the keyword
 * {@code primary} (the node's primary IP of each family). Empty means {@code primary}, the nftables-mode
 * default (kube-proxy-semantics.md §1.3). Immutable.
 */
public record NodePortAddresses(List<Cidr> cidrs, boolean primary) {
    public static final String PRIMARY = "primary";

    public NodePortAddresses {
        cidrs = List.copyOf(cidrs);
        if (cidrs.isEmpty()) {
            primary = true;
        }
    }

    public static NodePortAddresses primaryOnly() {
        return new NodePortAddresses(List.of(), true);
    }

    /**
     * Parses values such as {@code ["198.18.0.0/15", "primary"]}; each value may itself be comma-separated,
     * as the flag is.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static NodePortAddresses parse(List<String> values) {
        List<Cidr> cidrs = new ArrayList<>();
        boolean primary = false;
        for (String value : values) {
            for (String part : value.split(",")) {
                String p = part.trim();
                if (p.isEmpty()) {
                    continue;
                }
                if (p.toLowerCase(Locale.ROOT).equals(PRIMARY)) {
                    primary = true;
                    continue;
                }
                if (p.indexOf('/') < 0) {
                    throw new IllegalArgumentException(
                            "nodePortAddresses: \"" + p + "\" is neither a CIDR nor \"primary\"");
                }
                try {
                    cidrs.add(Cidr.parse(p));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("nodePortAddresses: \"" + p + "\": " + e.getMessage());
                }
            }
        }
        return new NodePortAddresses(cidrs, primary);
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        cidrs.forEach(c -> parts.add(c.toString()));
        if (primary) {
            parts.add(PRIMARY);
        }
        return String.join(",", parts);
    }
}
