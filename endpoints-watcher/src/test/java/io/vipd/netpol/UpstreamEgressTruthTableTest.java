package io.vipd.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.lb.Protocol;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The egress cases of the Kubernetes e2e suite (test/e2e/network/netpol/network_policy.go) as truth tables over
 * its 3 namespaces x 3 pods: for each case, who may reach whom on one protocol and port, compared cell by cell
 * with what {@link PolicySnapshot} compiles. Loopback is included (the suite ignores it because CNIs differ;
 * vipd applies the policy to a pod reaching itself through a Service as to any other backend).
 */
class UpstreamEgressTruthTableTest {
    /** Who reaches whom: every pair true until a case says otherwise. */
    static final class Reachability {
        private final Map<String, Boolean> cells = new LinkedHashMap<>();

        Reachability() {
            for (String from : NetpolModel.allPodStrings()) {
                for (String to : NetpolModel.allPodStrings()) {
                    cells.put(from + " -> " + to, true);
                }
            }
        }

        /** Upstream's ExpectPeer: from every pod matching {@code from} ("x", "x/a" or "") to every matching to. */
        Reachability expectPeer(String from, String to, boolean allowed) {
            for (String f : NetpolModel.allPodStrings()) {
                for (String t : NetpolModel.allPodStrings()) {
                    if (matches(from, f) && matches(to, t)) {
                        cells.put(f + " -> " + t, allowed);
                    }
                }
            }
            return this;
        }

        Reachability expectAllEgress(String from, boolean allowed) {
            return expectPeer(from, "", allowed);
        }

        Reachability expect(String from, String to, boolean allowed) {
            return expectPeer(from, to, allowed);
        }

        private static boolean matches(String peer, String pod) {
            return peer.isEmpty() || pod.equals(peer) || pod.startsWith(peer + "/");
        }
    }

    private static void validate(String policiesYaml, Protocol protocol, int port, Reachability expected) {
        PolicySnapshot snapshot =
                PolicySnapshot.of(NetpolModel.policies(policiesYaml), NetpolModel.pods(), NetpolModel.namespaces());
        Map<String, Boolean> actual = new LinkedHashMap<>();
        for (String from : NetpolModel.allPodStrings()) {
            String[] f = from.split("/");
            ClientEgress egress = snapshot.allowanceFor(snapshot.pod(f[0], f[1]).orElseThrow());
            for (String to : NetpolModel.allPodStrings()) {
                boolean allowed = egress == null || egress.allows(NetpolModel.ip(to), protocol, port);
                actual.put(from + " -> " + to, allowed);
            }
        }
        List<String> wrong = new ArrayList<>();
        expected.cells.forEach((pair, want) -> {
            if (!want.equals(actual.get(pair))) {
                wrong.add(pair + " expected " + (want ? "allowed" : "denied"));
            }
        });
        assertThat(wrong).as(protocol + "/" + port).isEmpty();
    }

    private static String policy(String namespace, String name, String spec) {
        return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name + "\n  namespace: "
                + namespace + "\nspec:\n" + spec.stripIndent() + "\n---\n";
    }

    @Test
    void defaultDenyIngressLeavesEgressAlone() {
        String p = policy("x", "deny-ingress", """
                  podSelector: {}
                  policyTypes: [Ingress]
                """);
        validate(p, Protocol.TCP, 80, new Reachability());
    }

    @Test
    void defaultDenyAll() {
        String p = policy("x", "deny-all", """
                  podSelector: {}
                  policyTypes: [Ingress, Egress]
                """);
        validate(p, Protocol.TCP, 80, new Reachability().expectPeer("x", "", false));
    }

    @Test
    void denyEgressFromPodsBasedOnPodSelector() {
        String p = policy("x", "deny-egress-pod-a", """
                  podSelector: {matchLabels: {pod: a}}
                  policyTypes: [Egress]
                """);
        validate(p, Protocol.TCP, 80, new Reachability().expectAllEgress("x/a", false));
    }

    @Test
    void ingressAndEgressTogetherRestrictEgressToPort80() {
        String p = policy("x", "allow-client-a-via-pod-selector", """
                  podSelector: {matchLabels: {pod: a}}
                  policyTypes: [Egress, Ingress]
                  ingress:
                  - from: [{podSelector: {matchLabels: {pod: b}}}]
                  egress:
                  - ports: [{port: 80}]
                """);
        validate(p, Protocol.TCP, 80, new Reachability());
        validate(p, Protocol.TCP, 81, new Reachability().expectAllEgress("x/a", false));
    }

    @Test
    void egressToAPodInAnotherNamespaceByPodAndNamespaceSelectorInOnePeer() {
        String p = policy("x", "allow-to-ns-y-pod-a", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to:
                    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}
                      podSelector: {matchLabels: {pod: a}}
                """);
        validate(
                p,
                Protocol.TCP,
                80,
                new Reachability().expectAllEgress("x/a", false).expect("x/a", "y/a", true));
    }

    @Test
    void theSameSelectorsAsTwoPeersMeanEitherOne() {
        String p = policy("x", "allow-to-ns-y-or-pod-a", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to:
                    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}
                    - podSelector: {matchLabels: {pod: a}}
                """);
        validate(
                p,
                Protocol.TCP,
                80,
                new Reachability()
                        .expectAllEgress("x/a", false)
                        .expectPeer("x/a", "y", true)
                        .expect("x/a", "x/a", true));
    }

    @Test
    void multipleEgressPoliciesWithAllowAllTakingPrecedence() {
        String port80 = policy("x", "allow-egress-port-80", """
                  podSelector: {}
                  egress:
                  - ports: [{port: 80}]
                """);
        validate(port80, Protocol.TCP, 81, new Reachability().expectPeer("x", "", false));
        String allowAll = policy("x", "allow-egress", """
                  podSelector: {}
                  egress:
                  - {}
                """);
        validate(port80 + allowAll, Protocol.TCP, 81, new Reachability());
    }

    @Test
    void egressToAServerInACidrBlock() {
        String p = policy("x", "allow-client-a-via-cidr-egress-rule", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to: [{ipBlock: {cidr: 198.18.2.2/32}}]
                """);
        validate(
                p,
                Protocol.TCP,
                80,
                new Reachability().expectAllEgress("x/a", false).expect("x/a", "y/b", true));
    }

    @Test
    void exceptClauseOfACidrBlock() {
        String p = policy("x", "allow-client-a-via-cidr-egress-rule", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to: [{ipBlock: {cidr: 198.16.0.0/12, except: [198.18.1.2/32]}}]
                """);
        validate(p, Protocol.TCP, 80, new Reachability().expect("x/a", "x/b", false));
    }

    @Test
    void anAddressInBothACidrAndAnExceptIsAllowedByAnotherPolicy() {
        String except = policy("x", "allow-client-a-via-cidr-egress-rule", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to: [{ipBlock: {cidr: 198.16.0.0/12, except: [198.18.1.2/32]}}]
                """);
        String host = policy("x", "allow-client-a-to-b", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to: [{ipBlock: {cidr: 198.18.1.2/32}}]
                """);
        validate(except + host, Protocol.TCP, 80, new Reachability());
        // Upstream replaces the first policy with the second: only x/b is left.
        validate(
                host,
                Protocol.TCP,
                80,
                new Reachability().expectAllEgress("x/a", false).expect("x/a", "x/b", true));
    }

    @Test
    void egressOnOneNamedPort() {
        String p = policy("x", "allow-egress", """
                  podSelector: {}
                  egress:
                  - ports: [{port: serve-80-tcp}]
                """);
        validate(p, Protocol.TCP, 80, new Reachability());
        validate(p, Protocol.TCP, 81, new Reachability().expectPeer("x", "", false));
    }

    @Test
    void namespaceSelectorWithMatchExpressionsOnTheDefaultNamespaceLabel() {
        String p = policy("x", "allow-ns-y-match-selector-for-immutable-ns-label", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to:
                    - namespaceSelector:
                        matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [y]}]
                """);
        validate(p, Protocol.TCP, 80, new Reachability().expectPeer("x/a", "y", false));
    }

    @Test
    void sctpIsNotTcp() {
        String p = policy("x", "allow-only-sctp-egress-on-port-81", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - ports: [{port: 81, protocol: SCTP}]
                """);
        validate(p, Protocol.TCP, 81, new Reachability().expectAllEgress("x/a", false));
        validate(p, Protocol.SCTP, 81, new Reachability());
    }

    @Test
    void udpOnlyAllowsNoTcp() {
        String p = policy("x", "allow-only-udp-egress-on-port-81", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - ports: [{port: 81, protocol: UDP}]
                """);
        validate(p, Protocol.TCP, 81, new Reachability().expectAllEgress("x/a", false));
        validate(p, Protocol.UDP, 81, new Reachability());
    }

    @Test
    void aProtocolWithoutAPortAllowsEveryPortOfIt() {
        String p = policy("x", "allow-egress-by-proto", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - ports: [{protocol: TCP}]
                """);
        validate(p, Protocol.TCP, 80, new Reachability());
        validate(p, Protocol.UDP, 80, new Reachability().expectAllEgress("x/a", false));
    }

    @Test
    void endPortMakesAnInclusiveRange() {
        String p = policy("x", "allow-egress-80-81", """
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - to: [{namespaceSelector: {matchLabels: {ns: y}}}]
                    ports: [{port: 80, endPort: 81, protocol: TCP}]
                """);
        Reachability yOnly = new Reachability().expectAllEgress("x/a", false).expectPeer("x/a", "y", true);
        validate(p, Protocol.TCP, 80, yOnly);
        validate(p, Protocol.TCP, 81, yOnly);
        validate(p, Protocol.TCP, 82, new Reachability().expectAllEgress("x/a", false));
    }

    @Test
    void podSelectorMatchExpressionsExistsAndDoesNotExist() {
        String p = policy("x", "to-labelled", """
                  podSelector:
                    matchExpressions: [{key: pod, operator: In, values: [a, b]}]
                  egress:
                  - to:
                    - podSelector: {matchExpressions: [{key: pod, operator: Exists}]}
                      namespaceSelector: {matchExpressions: [{key: missing, operator: DoesNotExist}]}
                """);
        // Every pod has a "pod" label and no namespace has "missing": x/a and x/b may reach every pod.
        validate(p, Protocol.TCP, 80, new Reachability());
        String none = policy("x", "to-unlabelled", """
                  podSelector: {matchLabels: {pod: c}}
                  egress:
                  - to: [{podSelector: {matchExpressions: [{key: pod, operator: DoesNotExist}]}}]
                """);
        validate(none, Protocol.TCP, 80, new Reachability().expectAllEgress("x/c", false));
    }

    @Test
    void aBarePodSelectorPeerLooksOnlyInThePolicysNamespace() {
        String p = policy("y", "to-pod-a", """
                  podSelector: {}
                  egress:
                  - to: [{podSelector: {matchLabels: {pod: a}}}]
                """);
        validate(
                p,
                Protocol.TCP,
                80,
                new Reachability().expectPeer("y", "", false).expectPeer("y", "y/a", true));
    }

    @Test
    void impliedPolicyTypes() {
        String withEgress = policy("x", "implied-egress", """
                  podSelector: {matchLabels: {pod: b}}
                  egress:
                  - to: [{podSelector: {matchLabels: {pod: c}}}]
                """);
        validate(
                withEgress,
                Protocol.TCP,
                80,
                new Reachability().expectAllEgress("x/b", false).expect("x/b", "x/c", true));
        String emptyEgress = policy("x", "implied-ingress-only", """
                  podSelector: {}
                  egress: []
                """);
        validate(emptyEgress, Protocol.TCP, 80, new Reachability());
    }
}
