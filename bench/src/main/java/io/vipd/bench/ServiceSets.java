package io.vipd.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Generates the Service sets the harness loads: {@code count} services, each with the same endpoint addresses, one
 * VIP per service counted up from a base address inside 198.19.0.0/16 (the benchmarking range). Pure.
 */
public final class ServiceSets {
    /** The most services one set may hold: the VIPs must stay inside 198.19.0.0/16 after the base offset. */
    public static final int MAX_SERVICES = 60_000;

    private ServiceSets() {}

    /**
     * Services {@code bench/svc-00000 .. svc-N}, port name {@code p<port>}, VIPs {@code vipBase + i}, each with one
     * endpoint per address in {@code endpointIps} on {@code targetPort}.
     *
     * @param count       number of services, 1..{@value #MAX_SERVICES}
     * @param protocol    tcp or udp
     * @param vipBase     the first VIP, inside 198.19.0.0/16
     * @param port        the service port
     * @param endpointIps the endpoint addresses (one endpoint each)
     * @param targetPort  the endpoints' port
     */
    public static List<BenchService> generate(
            int count, String protocol, String vipBase, int port, List<String> endpointIps, int targetPort) {
        if (count < 1 || count > MAX_SERVICES) {
            throw new IllegalArgumentException("service count " + count + " outside 1.." + MAX_SERVICES);
        }
        int base = Ipv4.parse(vipBase);
        if ((base >>> 16) != Ipv4.parse("198.19.0.0") >>> 16 || (base & 0xffff) + count > 0xffff) {
            throw new IllegalArgumentException("VIPs " + vipBase + " + " + count + " leave 198.19.0.0/16");
        }
        List<BenchService.Endpoint> endpoints = new ArrayList<>();
        for (String ip : endpointIps) {
            endpoints.add(new BenchService.Endpoint(ip, targetPort));
        }
        List<BenchService> services = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            services.add(new BenchService(
                    "bench",
                    String.format("svc-%05d", i),
                    "p" + port,
                    protocol,
                    Ipv4.format(base + i),
                    port,
                    endpoints));
        }
        return services;
    }

    /**
     * Parses {@code COUNT/PROTOCOL/FIRST_VIP/PORT/TARGET_PORT/IP+IP+...} and generates that group.
     *
     * @throws IllegalArgumentException naming the spec and the field that is wrong
     */
    public static List<BenchService> parse(String spec) {
        String[] f = spec.split("/", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException(
                    "service group '" + spec + "': expected COUNT/PROTOCOL/FIRST_VIP/PORT/TARGET_PORT/IP+IP+...");
        }
        try {
            return generate(
                    Integer.parseInt(f[0]),
                    f[1],
                    f[2],
                    Integer.parseInt(f[3]),
                    Arrays.asList(f[5].split("\\+")),
                    Integer.parseInt(f[4]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("service group '" + spec + "': " + e.getMessage(), e);
        }
    }
}
