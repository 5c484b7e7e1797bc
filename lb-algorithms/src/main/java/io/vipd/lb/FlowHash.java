package io.vipd.lb;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The hash of a flow that Maglev looks up: the 5-tuple, or the client IP alone when ClientIP affinity is on
 * (so every node maps a client to the same backend without shared state; Cilium #26709).
 *
 * <p>Deterministic across machines and runs: addresses enter as their network-order bytes and are mixed
 * with MurmurHash3's fmix64 and a fixed seed; the protocol enters as its IANA number. IPv4 hashing allocates
 * nothing; IPv6 allocates the 16-byte copy {@code Inet6Address.getAddress()} makes, per address.
 * MUST NOT change (pinned by FlowHashTest).
 */
public final class FlowHash {
    private static final long SEED = 0x76697064L; // "vipd"

    private FlowHash() {}

    /** Hash of (client ip, client port, frontend ip, frontend port, protocol). */
    public static long of(InetSocketAddress client, InetSocketAddress frontend, Protocol protocol) {
        long h = SEED ^ ianaNumber(protocol);
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

    /** The IANA protocol number, not the enum ordinal, so reordering {@link Protocol} cannot change hashes. */
    private static int ianaNumber(Protocol protocol) {
        switch (protocol) {
            case TCP:
                return 6;
            case UDP:
                return 17;
            case SCTP:
                return 132;
            default:
                throw new IllegalArgumentException("no protocol number for " + protocol);
        }
    }

    private static long mixAddress(long h, InetAddress ip) {
        if (ip instanceof Inet4Address) {
            // OpenJDK's Inet4Address.hashCode() is the address as a big-endian int (unchanged since JDK 1.0;
            // FlowHashTest pins it), and unlike getAddress() it copies nothing.
            return mix(h, ip.hashCode() & 0xffffffffL);
        }
        byte[] b = ip.getAddress();
        // Inet6Address has no copy-free accessor: 16 bytes per call (C2 did not elide it; bench/README.md).
        return mix(
                mix(h, bigEndianLong(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7])),
                bigEndianLong(b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]));
    }

    private static long bigEndianLong(byte b0, byte b1, byte b2, byte b3, byte b4, byte b5, byte b6, byte b7) {
        return (b0 & 0xffL) << 56
                | (b1 & 0xffL) << 48
                | (b2 & 0xffL) << 40
                | (b3 & 0xffL) << 32
                | (b4 & 0xffL) << 24
                | (b5 & 0xffL) << 16
                | (b6 & 0xffL) << 8
                | (b7 & 0xffL);
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
