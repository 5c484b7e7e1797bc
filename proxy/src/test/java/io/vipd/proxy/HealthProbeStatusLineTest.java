package io.vipd.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HealthProbeStatusLineTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "HTTP/1.1 200 OK|200",
                "HTTP/1.0 301 Moved Permanently|301",
                "HTTP/1.1 500 Internal Server Error|500",
                "HTTP/1.1 204|204",
                "HTTP/2 404 Not Found|404",
                "HTTP/1.1 200 OK\r|200",
                "HTTP/1.1 204\r|204",
                "HTTP/1.1 2000 OK|-1",
                "HTTP/1.1 20 OK|-1",
                "HTTP/1.1 600 Nope|-1",
                "HTTP/1.1 0x1 Hex|-1",
                "SSH-2.0-OpenSSH_9.2|-1",
                "HTTP/1.1|-1",
                "http/1.1 200 OK|-1",
            })
    void readsTheStatusOfAnHttpStatusLineOnly(String line, int expected) {
        byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
        assertThat(HealthProbe.statusCode(bytes, bytes.length)).isEqualTo(expected);
    }
}
