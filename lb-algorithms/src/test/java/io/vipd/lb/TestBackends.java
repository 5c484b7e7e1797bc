package io.vipd.lb;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Deterministic backend sets for tests. */
final class TestBackends {
    private TestBackends() {}

    /** {@code n} IPv4 backends 10.a.b.c:port drawn from a fixed seed, distinct. */
    static List<Backend> randomIpv4(long seed, int n) {
        Random r = new Random(seed);
        Set<String> seen = new LinkedHashSet<>();
        List<Backend> out = new ArrayList<>();
        while (out.size() < n) {
            byte[] a = {10, (byte) r.nextInt(256), (byte) r.nextInt(256), (byte) (1 + r.nextInt(254))};
            int port = 1 + r.nextInt(65535);
            Backend b = Backend.of(ip(a), port);
            if (seen.add(b.key())) {
                out.add(b);
            }
        }
        return out;
    }

    /** 10.0.x.y:port for i = 1..n, in order. */
    static List<Backend> sequentialIpv4(int n, int port) {
        List<Backend> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(Backend.of(ip(new byte[] {10, 0, (byte) (i >> 8), (byte) i}), port));
        }
        return out;
    }

    /** fd00::i:port for i = 1..n, in order. */
    static List<Backend> sequentialIpv6(int n, int port) {
        List<Backend> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            byte[] a = new byte[16];
            a[0] = (byte) 0xfd;
            a[14] = (byte) (i >> 8);
            a[15] = (byte) i;
            out.add(Backend.of(ip(a), port));
        }
        return out;
    }

    static InetAddress ip(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static InetAddress ip(String literal) {
        return Addresses.parseIp(literal);
    }

    static MaglevTable table(BackendSet set, int m) {
        return MaglevTable.build(set.keys(), set.weights(), m);
    }

    /** The owner key of each slot. */
    static String[] owners(MaglevTable table, BackendSet set) {
        String[] out = new String[table.size()];
        for (int s = 0; s < out.length; s++) {
            out[s] = set.key(table.slot(s));
        }
        return out;
    }
}
