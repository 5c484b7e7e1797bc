package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class FlagConvertersTest {
    @ParameterizedTest
    @CsvSource({"10s, PT10S", "500ms, PT0.5S", "1m30s, PT1M30S", "2h, PT2H", "0, PT0S", "1.5s, PT1.5S"})
    void durationsReadAsKubeProxyWritesThem(String flag, String iso) {
        assertThat(GoDurationConverter.parse(flag)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10", "s", "10x", "10s5", "-1s"})
    void badDurationsAreRefused(String flag) {
        assertThatThrownBy(() -> GoDurationConverter.parse(flag))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("not a duration");
    }

    @ParameterizedTest
    @CsvSource({"127.0.0.1:10249, 127.0.0.1, 10249", "0.0.0.0:0, 0.0.0.0, 0", "'[::1]:10256', ::1, 10256"})
    void bindAddresses(String flag, String ip, int port) throws Exception {
        assertThat(new BindAddressConverter().convert(flag))
                .isEqualTo(new InetSocketAddress(java.net.InetAddress.getByName(ip), port));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:80", "127.0.0.1", "127.0.0.1:99999"})
    void badBindAddressesAreRefused(String flag) {
        assertThatThrownBy(() -> new BindAddressConverter().convert(flag)).isInstanceOf(TypeConversionException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void anEmptyBindAddressTurnsTheServerOff(String flag) {
        assertThat(new BindAddressConverter().convert(flag)).isNull();
    }

    @ParameterizedTest
    @CsvSource({"10s, 10s", "1m30s, 90s", "500ms, 500ms", "1.5s, 1500ms", "500us, 500us", "7ns, 7ns", "0, 0s"})
    void durationsAreWrittenBackInTheirLargestWholeUnit(String flag, String written) {
        assertThat(GoDurationConverter.format(GoDurationConverter.parse(flag))).isEqualTo(written);
    }
}
