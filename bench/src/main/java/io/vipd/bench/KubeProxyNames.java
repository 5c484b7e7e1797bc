package io.vipd.bench;

import com.google.common.io.BaseEncoding;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The chain names kube-proxy derives from a service port: SHA-256 of a name, base32 (RFC 4648, upper case), truncated.
 * iptables mode ({@code pkg/proxy/iptables/proxier.go}: {@code servicePortChainName},
 * {@code servicePortEndpointChainName}) hashes {@code "ns/name:port" + protocol [+ endpoint]} and keeps 16 characters
 * after {@code KUBE-SVC-}/{@code KUBE-SEP-}; nftables mode ({@code pkg/proxy/nftables/proxier.go}:
 * {@code hashAndTruncate}) prefixes 8 hash characters to the readable name {@code ns/name/protocol/port[__ip/port]}.
 * Pure.
 */
public final class KubeProxyNames {
    private KubeProxyNames() {}

    /** {@code KUBE-SVC-<16>} for a service port. */
    public static String iptablesServiceChain(BenchService s) {
        return "KUBE-SVC-" + hash(s.servicePortName() + s.protocol()).substring(0, 16);
    }

    /** {@code KUBE-SEP-<16>} for one endpoint of a service port. */
    public static String iptablesEndpointChain(BenchService s, BenchService.Endpoint e) {
        return "KUBE-SEP-" + hash(s.servicePortName() + s.protocol() + e).substring(0, 16);
    }

    /** {@code service-<8>-ns/name/protocol/port}: the cluster-policy chain of a service port. */
    public static String nftServiceChain(BenchService s) {
        return "service-" + hashAndTruncate(nftBase(s));
    }

    /** {@code endpoint-<8>-ns/name/protocol/port__ip/port}. */
    public static String nftEndpointChain(BenchService s, BenchService.Endpoint e) {
        return "endpoint-" + hashAndTruncate(nftBase(s) + "__" + e.ip() + "/" + e.port());
    }

    private static String nftBase(BenchService s) {
        return s.namespace() + "/" + s.name() + "/" + s.protocol() + "/" + s.portName();
    }

    private static String hashAndTruncate(String name) {
        // kube-proxy truncates at 240 characters; generated names are far shorter, so no truncation happens here.
        return hash(name).substring(0, 8) + "-" + name;
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return BaseEncoding.base32().encode(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
