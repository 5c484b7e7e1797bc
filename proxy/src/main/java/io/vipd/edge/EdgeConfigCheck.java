package io.vipd.edge;

import io.vipd.lb.NamespacedName;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServiceTable;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code vipd edge --check}: whether a configuration file would start, as {@code haproxy -c} and {@code nginx -t}
 * tell. The file is read, parsed and applied as a start applies it, into a table of its own and with
 * {@link ListenAddressClaims} in place of the listeners, so it fails with the same messages. Nothing is bound and
 * no thread is started.
 */
public final class EdgeConfigCheck {
    private EdgeConfigCheck() {}

    /** What a valid file holds: its Services and the frontends they listen on. */
    public record Summary(int services, int frontends) {}

    /**
     * @param file           the configuration file
     * @param adminListeners the admin addresses the start would bind before any frontend, by description (e.g.
     *                       "the metrics listener"), in bind order
     * @throws EdgeConfigException the first error a start would report
     */
    public static Summary check(Path file, Map<String, InetSocketAddress> adminListeners) throws EdgeConfigException {
        EdgeConfig config = EdgeConfigLoader.withDefaultFormats().parse(file.toString(), EdgeConfigLoader.read(file));
        ServiceTable table = new ServiceTable();
        new EdgeConfigApplier(table, new ListenAddressClaims(config, adminListeners)).apply(config);
        Set<NamespacedName> services = new HashSet<>();
        for (ServicePortEntry e : table.entries()) {
            services.add(e.name().service());
        }
        return new Summary(services.size(), config.frontends().size());
    }
}
