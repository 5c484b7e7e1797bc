package io.vipd.netpol;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Kubernetes label selector: every {@code matchLabels} pair and every {@code matchExpressions} requirement must
 * hold (an empty selector matches everything). Immutable.
 */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {
    /** {@code {}}: every object. */
    public static final LabelSelector ALL = new LabelSelector(Map.of(), List.of());

    public LabelSelector {
        matchLabels = Map.copyOf(matchLabels);
        matchExpressions = List.copyOf(matchExpressions);
    }

    public static LabelSelector of(Map<String, String> matchLabels) {
        return new LabelSelector(matchLabels, List.of());
    }

    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> e : matchLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (Requirement r : matchExpressions) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** One {@code matchExpressions} entry. */
    public record Requirement(String key, Operator operator, Set<String> values) {
        public Requirement {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(operator, "operator");
            values = Set.copyOf(values);
        }

        boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (operator) {
                case IN -> v != null && values.contains(v);
                case NOT_IN -> v == null || !values.contains(v);
                case EXISTS -> v != null;
                case DOES_NOT_EXIST -> v == null;
            };
        }
    }

    /** The operators a label selector requirement may use. */
    public enum Operator {
        IN("In"),
        NOT_IN("NotIn"),
        EXISTS("Exists"),
        DOES_NOT_EXIST("DoesNotExist");

        private final String apiName;

        Operator(String apiName) {
            this.apiName = apiName;
        }

        /** Parses the API spelling ("In", "NotIn", "Exists", "DoesNotExist"). */
        public static Operator parse(String text) {
            for (Operator o : values()) {
                if (o.apiName.equals(text)) {
                    return o;
                }
            }
            throw new IllegalArgumentException(
                    "unknown operator \"" + text + "\" (want In, NotIn, Exists or DoesNotExist)");
        }
    }
}
