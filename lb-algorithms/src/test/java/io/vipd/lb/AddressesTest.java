package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AddressesTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "10.0.0.1:80                                   | 10.0.0.1:80",
                "[::1]:8080                                    | [::1]:8080",
                "[0:0:0:0:0:0:0:1]:8080                        | [::1]:8080",
                "[FD00:0:0:0:0:0:0:1]:443                      | [fd00::1]:443",
                "[2001:db8:0:0:1:0:0:1]:1                      | [2001:db8::1:0:0:1]:1",
                "[2001:0db8:0000:0000:0000:ff00:0042:8329]:65535| [2001:db8::ff00:42:8329]:65535",
                "[2001:db8:0:1:1:1:1:1]:80                     | [2001:db8:0:1:1:1:1:1]:80",
                "[2001:db8::]:80                               | [2001:db8::]:80",
                "[::]:80                                       | [::]:80",
                "' 10.0.0.1:80 '                               | 10.0.0.1:80",
            })
    void canonicalKeysAreRfc5952(String input, String key) {
        InetSocketAddress a = Addresses.parseIpPort(input);
        assertThat(Addresses.key(a)).isEqualTo(key);
        assertThat(Backend.parse(input).key()).isEqualTo(key);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "10.0.0.1",
                "10.0.0.1:",
                ":80",
                "10.0.0.1:0",
                "10.0.0.1:65536",
                "10.0.0.1:-1",
                "10.0.0.1:http",
                "::1:80",
                "[::1]",
                "[::1:80",
                "example.com:80",
                "localhost:80",
                "10.0.0.256:80",
                "1.2.3:80",
                "[10.0.0.1:80",
                "10.0.0.1:80:90",
                "[fe80::1%eth0]:80"
            })
    void rejectsBadAddresses(String input) {
        assertThatThrownBy(() -> Addresses.parseIpPort(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(input.trim().isEmpty() ? "ip:port" : "");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1:0", "10.0.0.1:65536"})
    void portErrorsNameTheRange(String input) {
        assertThatThrownBy(() -> Addresses.parseIpPort(input)).hasMessageContaining("1..65535");
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "", "1.2.3", "::g"})
    void parseIpNeverResolvesNames(String input) {
        assertThatThrownBy(() -> Addresses.parseIp(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an IP address");
    }

    @org.junit.jupiter.api.Test
    void ipv4MappedIpv6IsTheIpv4Address() {
        InetAddress a = Addresses.parseIp("::ffff:10.0.0.1");
        assertThat(a).isInstanceOf(Inet4Address.class);
        assertThat(Addresses.key(a, 80)).isEqualTo("10.0.0.1:80");
        assertThat(Addresses.ipString(Addresses.parseIp("[fd00::0:1]"))).isEqualTo("fd00::1");
    }
}
