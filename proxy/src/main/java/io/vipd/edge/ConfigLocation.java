package io.vipd.edge;

/**
 * Where a value came from in a configuration file, for error messages.
 *
 * @param line 1-based line, or 0 when unknown
 * @param path the value's path in the document, e.g. {@code services[0].listen[1]}
 */
public record ConfigLocation(int line, String path) {
    public static final ConfigLocation UNKNOWN = new ConfigLocation(0, "");
}
