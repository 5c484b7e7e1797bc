package io.vipd.watcher;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * kube-proxy feature gates that change endpoint selection.
 *
 * @param preferSameTrafficDistribution PreferSameNode topology (KEP-3015); GA in Kubernetes 1.35, default on
 */
public record FeatureGates(boolean preferSameTrafficDistribution) {
    public static final String PREFER_SAME_TRAFFIC_DISTRIBUTION = "PreferSameTrafficDistribution";

    public static FeatureGates defaults() {
        return new FeatureGates(true);
    }

    /**
     * Parses kube-proxy's {@code --feature-gates} form, "A=true,B=false"; an empty or null text gives the defaults.
     * A value other than true or false is an error. A gate vipd does not use is handed to {@code ignored} and
     * otherwise left alone, so kubeadm's kube-proxy configuration, which may set any Kubernetes gate, still starts.
     */
    public static FeatureGates parse(String text, Consumer<String> ignored) {
        boolean preferSame = true;
        if (text == null || text.isBlank()) {
            return new FeatureGates(preferSame);
        }
        for (String item : text.split(",")) {
            String t = item.trim();
            if (t.isEmpty()) {
                continue;
            }
            int eq = t.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("feature gate \"" + t + "\" is not Name=true|false");
            }
            String name = t.substring(0, eq).trim();
            String value = t.substring(eq + 1).trim().toLowerCase(Locale.ROOT);
            if (!value.equals("true") && !value.equals("false")) {
                throw new IllegalArgumentException(
                        "feature gate " + name + " has value \"" + value + "\" (want true or false)");
            }
            if (name.equals(PREFER_SAME_TRAFFIC_DISTRIBUTION)) {
                preferSame = Boolean.parseBoolean(value);
            } else {
                ignored.accept(name);
            }
        }
        return new FeatureGates(preferSame);
    }
}
