package io.vipd.cli;

import picocli.CommandLine.Option;

/**
 * kube-proxy's (component-base's) logging flags that vipd honours, for {@code vipd node} and {@code vipd edge}:
 * {@code --v} and {@code --logging-format}. Null when not given. {@link LogSetup} applies them.
 */
public final class LoggingOptions {
    @Option(
            names = {"-v", "--v"},
            paramLabel = "LEVEL",
            description = "log verbosity as klog's: 0-1 info, 2-3 also the API client's info lines, 4 debug, "
                    + "5 and more trace (default: VIPD_LOG_LEVEL, else info)")
    Integer verbosity;

    @Option(
            names = "--logging-format",
            paramLabel = "text|json",
            description =
                    "text lines, or JSON lines with ts, level, logger, msg and the key-value pairs " + "(default text)")
    String format;
}
