package io.vipd.netpol;

import io.vipd.lb.EgressAllowance;
import io.vipd.lb.Protocol;
import java.net.InetAddress;
import java.util.List;

/**
 * What one egress-isolated client pod may send to: the union of the rules of every policy that isolates it,
 * compiled ({@link CompiledRule}). No rules at all means it may send nothing (default deny). Immutable;
 * {@link #allows} is allocation-free and thread-safe.
 */
public final class ClientEgress implements EgressAllowance {
    private final PodInfo client;
    private final List<Policy> policies;
    private final CompiledRule[] rules;
    /** For each entry of {@link #rules}: "namespace/policy egress[i]", for explanations. */
    private final String[] ruleNames;

    ClientEgress(PodInfo client, List<Policy> policies, CompiledRule[] rules, String[] ruleNames) {
        this.client = client;
        this.policies = List.copyOf(policies);
        this.rules = rules;
        this.ruleNames = ruleNames;
    }

    @Override
    public boolean allows(InetAddress destination, Protocol protocol, int port) {
        for (CompiledRule r : rules) {
            if (r.allows(destination, protocol, port)) {
                return true;
            }
        }
        return false;
    }

    /** The first rule that allows the flow ("namespace/policy egress[i]"), or null when none does. */
    public String allowedBy(InetAddress destination, Protocol protocol, int port) {
        for (int i = 0; i < rules.length; i++) {
            if (rules[i].allows(destination, protocol, port)) {
                return ruleNames[i];
            }
        }
        return null;
    }

    public PodInfo client() {
        return client;
    }

    /** The policies that isolate the client, in snapshot order. */
    public List<Policy> policies() {
        return policies;
    }
}
