package io.vipd.netpol;

import java.util.List;
import java.util.Objects;

/**
 * The egress half of one NetworkPolicy. Immutable.
 *
 * @param namespace   the policy's namespace: its podSelector and bare-podSelector peers look only here
 * @param name        the policy's name
 * @param podSelector which pods of the namespace it applies to
 * @param egress      whether its policyTypes (explicit, or implied: Egress when it has an egress section)
 *                    include Egress; only then does it isolate the pods it selects
 * @param rules       what the pods it selects may send (empty with {@code egress}: nothing)
 */
public record Policy(String namespace, String name, LabelSelector podSelector, boolean egress, List<EgressRule> rules) {
    public Policy {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(podSelector, "podSelector");
        rules = List.copyOf(rules);
    }

    /** Whether this policy isolates {@code pod} for egress. */
    public boolean isolates(PodInfo pod) {
        return egress && namespace.equals(pod.namespace()) && podSelector.matches(pod.labels());
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
