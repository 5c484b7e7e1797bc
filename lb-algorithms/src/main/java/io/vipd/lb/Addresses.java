package io.vipd.lb;

import com.google.common.net.InetAddresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Parsing and canonical printing of IP addresses and "ip:port" strings, without DNS.
 * IPv6 prints in RFC 5952 form (compressed, lower case) inside brackets: {@code [fd00::1]:8080}.
 */
public final class Addresses {
    private Addresses() {}

    /** Parses a literal IPv4 or IPv6 address (brackets allowed, no zone id); never resolves names. */
    public static InetAddress parseIp(String text) {
        String t = text.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        // A zone id (fe80::1%eth0) is node-local and cannot be part of a key every node agrees on.
        if (t.indexOf('%') >= 0 || !InetAddresses.isInetAddress(t)) {
            throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
        }
        return InetAddresses.forString(t);
    }

    /** Parses "ip:port" or "[v6]:port" with port 1..65535. */
    public static InetSocketAddress parseIpPort(String text) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("want ip:port or [v6]:port, got \"" + text + "\"");
        }
        String host = t.substring(0, colon);
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            throw new IllegalArgumentException(
                    "IPv6 addresses need brackets, as in [fd00::1]:80, got \"" + text + "\"");
        }
        int port = parsePort(t.substring(colon + 1), text);
        return new InetSocketAddress(parseIp(host), port);
    }

    static int parsePort(String digits, String context) {
        int port;
        try {
            port = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port \"" + digits + "\" in \"" + context + "\"");
        }
        checkPort(port, context);
        return port;
    }

    public static void checkPort(int port, String context) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " outside 1..65535 in \"" + context + "\"");
        }
    }

    /** RFC 5952 text of an address, without brackets. */
    public static String ipString(InetAddress ip) {
        return InetAddresses.toAddrString(ip);
    }

    /** Canonical "ip:port" ("[v6]:port"). MUST NOT change: it is the Maglev backend key (docs/maglev.md). */
    public static String key(InetAddress ip, int port) {
        String s = InetAddresses.toAddrString(ip);
        return ip instanceof Inet6Address ? "[" + s + "]:" + port : s + ":" + port;
    }

    public static String key(InetSocketAddress address) {
        return key(address.getAddress(), address.getPort());
    }
}
