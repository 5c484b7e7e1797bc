package io.vipd.admin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process metrics every Go program (kube-proxy included) exports and dashboards written for kube-proxy read:
 * {@code process_cpu_seconds_total} and, on Linux, {@code process_resident_memory_bytes} and
 * {@code process_virtual_memory_bytes} (from {@code /proc/self/status}, read at scrape time). Micrometer's own
 * process binders name these differently.
 */
final class KubeProxyProcessMetrics implements MeterBinder {
    private static final Path STATUS = Path.of("/proc/self/status");

    @Override
    public void bindTo(MeterRegistry registry) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun && sun.getProcessCpuTime() >= 0) {
            FunctionCounter.builder("process_cpu_seconds_total", sun, b -> b.getProcessCpuTime() / 1e9)
                    .description("Total user and system CPU time spent in seconds")
                    .register(registry);
        }
        if (Files.isReadable(STATUS)) {
            Gauge.builder("process_resident_memory_bytes", () -> statusKilobytes("VmRSS:") * 1024)
                    .description("Resident memory size in bytes")
                    .register(registry);
            Gauge.builder("process_virtual_memory_bytes", () -> statusKilobytes("VmSize:") * 1024)
                    .description("Virtual memory size in bytes")
                    .register(registry);
        }
    }

    /** A "Name:   123 kB" line of /proc/self/status, or NaN when it is not there. */
    static double statusKilobytes(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Double.parseDouble(parts[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Reported as NaN: a scrape must not fail over one value.
        }
        return Double.NaN;
    }
}
