package io.vipd.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {
    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "198.18.0.0/15, 198.18.0.1, true",
        "198.18.0.0/15, 198.19.255.255, true",
        "198.18.0.0/15, 198.20.0.0, false",
        "198.18.0.0/15, 198.17.255.255, false",
        "10.0.0.0/8, 10.255.0.1, true",
        "10.1.2.3/32, 10.1.2.3, true",
        "10.1.2.3/32, 10.1.2.4, false",
        "10.1.2.3, 10.1.2.3, true",
        "0.0.0.0/0, 203.0.113.7, true",
        "0.0.0.0/0, ::1, false",
        "10.0.0.0/9, 10.127.255.255, true",
        "10.0.0.0/9, 10.128.0.0, false",
        "fd00::/64, fd00::1234, true",
        "fd00::/64, fd00:0:0:1::1, false",
        "fd00::/7, fdff::1, true",
        "fd00::/7, fe00::1, false",
        "::/0, 2001:db8::1, true",
        "::/0, 10.0.0.1, false",
        "' 192.168.0.0/16 ', 192.168.3.4, true",
    })
    void contains(String cidr, String ip, boolean expected) {
        assertThat(Cidr.parse(cidr).contains(Addresses.parseIp(ip))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"198.18.0.0/15, 198.18.0.0/15", "FD00:0::/64, fd00::/64", "10.1.2.3, 10.1.2.3/32", "::1, ::1/128"})
    void printsCanonically(String input, String printed) {
        assertThat(Cidr.parse(input).toString()).isEqualTo(printed);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"10.0.0.0/33", "10.0.0.0/-1", "fd00::/129", "10.0.0.0/x", "10.0.0/8", "", "/8", "host.example/8"
            })
    void rejectsBadCidrs(String input) {
        assertThatThrownBy(() -> Cidr.parse(input)).isInstanceOf(IllegalArgumentException.class);
    }
}
