package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vipd.proxy.ProxyConfig;
import io.vipd.proxy.SpliceMode;
import io.vipd.proxy.TransportChoice;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class ForwardingOptionsTest {
    @Command(name = "probe")
    static final class Probe {
        @Mixin
        ForwardingOptions forwarding;
    }

    private static ProxyConfig parse(String... args) {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs(args);
        return probe.forwarding.applyTo(ProxyConfig.defaults());
    }

    @Test
    void withoutFlagsTheEngineDefaultsHold() {
        assertThat(parse()).isEqualTo(ProxyConfig.defaults());
    }

    @Test
    void everyFlagReachesTheEngineConfig() {
        ProxyConfig c = parse(
                "--event-loops",
                "3",
                "--splice",
                "off",
                "--connect-timeout",
                "750ms",
                "--connect-attempts",
                "1",
                "--tcp-idle-timeout",
                "5m",
                "--ejection-threshold",
                "7",
                "--ejection-backoff",
                "0s",
                "--udp-idle-timeout",
                "2m30s",
                "--udp-max-flows",
                "100",
                "--transport",
                "nio");

        assertThat(c)
                .isEqualTo(new ProxyConfig(
                        3,
                        Duration.ofMillis(750),
                        1,
                        Duration.ofMinutes(5),
                        Duration.ZERO,
                        7,
                        Duration.ofSeconds(150),
                        100,
                        false,
                        SpliceMode.OFF,
                        TransportChoice.NIO));
    }

    @Test
    void theBaseKeepsWhatTheFlagsDoNotSet() {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs("--udp-max-flows", "9");

        assertThat(probe.forwarding
                        .applyTo(ProxyConfig.defaults().withTransparent(true))
                        .transparent())
                .isTrue();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "--connect-timeout|0s|--connect-timeout 0s: must be at least 1ms",
                "--connect-timeout|500us|--connect-timeout 500us: must be at least 1ms",
                "--udp-idle-timeout|0|--udp-idle-timeout 0s: must be at least 1ms",
                "--connect-attempts|0|--connect-attempts 0: must be at least 1",
                "--ejection-threshold|-2|--ejection-threshold -2: must be at least 1",
                "--udp-max-flows|0|--udp-max-flows 0: must be at least 1",
                "--event-loops|-1|--event-loops -1: must be at least 0",
                "--splice|sometimes|--splice sometimes: want off, auto or on",
                "--transport|bogus|--transport bogus: want auto, epoll, io_uring or nio, got \"bogus\"",
                "--transport|io-uring|--transport io-uring: want auto, epoll, io_uring or nio, got \"io-uring\""
            })
    void outOfRangeValuesAreRefusedNamingTheFlag(String flag, String value, String message) {
        assertThatThrownBy(() -> parse(flag, value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
