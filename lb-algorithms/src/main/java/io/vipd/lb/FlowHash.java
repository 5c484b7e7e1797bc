package io.vipd.lb;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The hash of a flow that Maglev looks up: the 5-tuple, or the client IP alone when ClientIP affinity is on
 * (so every node maps a client to the same backend without shared state; Cilium #26709).
 *
 * <p>Deterministic across machines and runs: addresses enter as their network-order bytes and are mixed
 * with MurmurHash3's fmix64 and a fixed seed. IPv4 hashing allocates nothing. MUST NOT change.
 */
public final class FlowHash {
    private static final long SEED = 0x76697064L; // "vipd"

    private FlowHash() {}

    /** Hash of (client ip, client port, frontend ip, frontend port, protocol). */
    public static long of(InetSocketAddress client, InetSocketAddress frontend, Protocol protocol) {
        long h = SEED ^ protocol.ordinal();
        h = mixAddress(h, client.getAddress());
        h = mix(h, client.getPort());
        h = mixAddress(h, frontend.getAddress());
        h = mix(h, frontend.getPort());
        return fmix64(h);
    }

    /** Hash of the client IP alone, for ClientIP session affinity. */
    public static long ofClientIp(InetAddress client) {
        return fmix64(mixAddress(SEED, client));
    }

    private static long mixAddress(long h, InetAddress ip) {
        if (ip instanceof Inet4Address) {
            // Inet4Address.hashCode() is the address in network order, specified by the JDK; no copy.
            return mix(h, ip.hashCode() & 0xffffffffL);
        }
        byte[] b = ip.getAddress();
        for (int i = 0; i < b.length; i += 8) {
            long word = 0;
            for (int k = 0; k < 8; k++) {
                word = (word << 8) | (b[i + k] & 0xffL);
            }
            h = mix(h, word);
        }
        return h;
    }

    private static long mix(long h, long value) {
        long k = value * 0x87c37b91114253d5L;
        k = Long.rotateLeft(k, 31) * 0x4cf5ad432745937fL;
        h ^= k;
        return Long.rotateLeft(h, 27) * 5 + 0x52dce729;
    }

    /** MurmurHash3's 64-bit finaliser. */
    public static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
