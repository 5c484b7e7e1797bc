package io.vipd.admin;

import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version vipd was built as and the git revision it was built from, which the build writes into
 * {@value #RESOURCE} ({@code git describe --always --dirty}; {@code unknown} for a build outside git). Shown by
 * {@code vipd --version} and exported as {@code vipd_build_info{version,revision} 1}. Immutable.
 */
public record BuildInfo(String version, String revision) {
    static final String RESOURCE = "/io/vipd/admin/build-info.properties";
    static final String UNKNOWN = "unknown";

    private static final BuildInfo CURRENT = load();

    /** This build's. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** From the build's properties; a missing or blank field is {@code unknown}. */
    static BuildInfo of(Properties properties) {
        return new BuildInfo(field(properties, "version"), field(properties, "revision"));
    }

    /** One line for {@code --version}, e.g. {@code vipd 0.1.0 (revision 6648660a1b2c)}. */
    public String describe() {
        return "vipd " + version + " (revision " + revision + ")";
    }

    /** Registers {@code vipd_build_info{version,revision} 1}, the build-info convention Prometheus joins on. */
    void register(PrometheusRegistry registry) {
        Info info = Info.builder()
                .name("vipd_build_info")
                .help("The version vipd was built as and the git revision it was built from; always 1")
                .labelNames("version", "revision")
                .register(registry);
        info.setLabelValues(version, revision);
    }

    private static BuildInfo load() {
        Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return of(properties);
    }

    private static String field(Properties properties, String name) {
        String value = properties.getProperty(name, "").trim();
        return value.isEmpty() ? UNKNOWN : value;
    }
}
