package io.vipd.cli;

import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * kube-proxy's flags that mean nothing to vipd (iptables, IPVS and conntrack tuning, klog's buffering and
 * files, profiling): accepted with their types, so a kube-proxy DaemonSet's arguments work unchanged, and warned
 * about once each by {@link NodeCommand}. Hidden from {@code --help}; README lists them.
 */
public final class IgnoredKubeProxyFlags {
    @Option(names = "--iptables-masquerade-bit", hidden = true)
    Integer iptablesMasqueradeBit;

    @Option(names = "--iptables-localhost-nodeports", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean iptablesLocalhostNodeports;

    @Option(names = "--iptables-min-sync-period", hidden = true, converter = GoDurationConverter.class)
    Duration iptablesMinSyncPeriod;

    @Option(names = "--ipvs-min-sync-period", hidden = true, converter = GoDurationConverter.class)
    Duration ipvsMinSyncPeriod;

    @Option(names = "--ipvs-scheduler", hidden = true)
    String ipvsScheduler;

    @Option(names = "--ipvs-exclude-cidrs", hidden = true, split = ",")
    List<String> ipvsExcludeCidrs;

    @Option(names = "--ipvs-strict-arp", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean ipvsStrictArp;

    @Option(names = "--ipvs-tcp-timeout", hidden = true, converter = GoDurationConverter.class)
    Duration ipvsTcpTimeout;

    @Option(names = "--ipvs-tcpfin-timeout", hidden = true, converter = GoDurationConverter.class)
    Duration ipvsTcpfinTimeout;

    @Option(names = "--ipvs-udp-timeout", hidden = true, converter = GoDurationConverter.class)
    Duration ipvsUdpTimeout;

    @Option(names = "--conntrack-max-per-core", hidden = true)
    Integer conntrackMaxPerCore;

    @Option(names = "--conntrack-min", hidden = true)
    Integer conntrackMin;

    @Option(names = "--conntrack-tcp-timeout-established", hidden = true, converter = GoDurationConverter.class)
    Duration conntrackTcpTimeoutEstablished;

    @Option(names = "--conntrack-tcp-timeout-close-wait", hidden = true, converter = GoDurationConverter.class)
    Duration conntrackTcpTimeoutCloseWait;

    @Option(names = "--conntrack-tcp-be-liberal", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean conntrackTcpBeLiberal;

    @Option(names = "--conntrack-udp-timeout", hidden = true, converter = GoDurationConverter.class)
    Duration conntrackUdpTimeout;

    @Option(names = "--conntrack-udp-timeout-stream", hidden = true, converter = GoDurationConverter.class)
    Duration conntrackUdpTimeoutStream;

    @Option(names = "--profiling", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean profiling;

    @Option(names = "--show-hidden-metrics-for-version", hidden = true)
    String showHiddenMetricsForVersion;

    // component-base/logs: klog's file patterns and buffering; logback writes every line at once.
    @Option(names = "--vmodule", hidden = true)
    String vmodule;

    @Option(names = "--log-flush-frequency", hidden = true, converter = GoDurationConverter.class)
    Duration logFlushFrequency;

    @Option(names = "--log-text-split-stream", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean logTextSplitStream;

    @Option(names = "--log-text-info-buffer-size", hidden = true)
    String logTextInfoBufferSize;

    @Option(names = "--log-json-split-stream", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean logJsonSplitStream;

    @Option(names = "--log-json-info-buffer-size", hidden = true)
    String logJsonInfoBufferSize;

    // klog's own flags, which kube-proxy registers from Go's flag set; its flag normalisation takes "_" and "-"
    // alike, and DaemonSets use both spellings.
    @Option(
            names = {"--add_dir_header", "--add-dir-header"},
            hidden = true,
            arity = "0..1",
            fallbackValue = "true")
    Boolean addDirHeader;

    @Option(names = "--alsologtostderr", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean alsologtostderr;

    @Option(
            names = {"--log_backtrace_at", "--log-backtrace-at"},
            hidden = true)
    String logBacktraceAt;

    @Option(
            names = {"--log_dir", "--log-dir"},
            hidden = true)
    String logDir;

    @Option(
            names = {"--log_file", "--log-file"},
            hidden = true)
    String logFile;

    @Option(
            names = {"--log_file_max_size", "--log-file-max-size"},
            hidden = true)
    Long logFileMaxSize;

    @Option(names = "--logtostderr", hidden = true, arity = "0..1", fallbackValue = "true")
    Boolean logtostderr;

    @Option(
            names = {"--one_output", "--one-output"},
            hidden = true,
            arity = "0..1",
            fallbackValue = "true")
    Boolean oneOutput;

    @Option(
            names = {"--skip_headers", "--skip-headers"},
            hidden = true,
            arity = "0..1",
            fallbackValue = "true")
    Boolean skipHeaders;

    @Option(
            names = {"--skip_log_headers", "--skip-log-headers"},
            hidden = true,
            arity = "0..1",
            fallbackValue = "true")
    Boolean skipLogHeaders;

    @Option(names = "--stderrthreshold", hidden = true)
    String stderrthreshold;
}
