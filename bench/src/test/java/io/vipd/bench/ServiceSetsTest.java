package io.vipd.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceSetsTest {
    @Test
    void countsVipsUpFromTheBaseAcrossOctets() {
        List<BenchService> set = ServiceSets.parse("300/tcp/198.19.0.1/80/8080/198.18.2.10+198.18.2.11");
        assertThat(set).hasSize(300);
        assertThat(set.get(0).vip()).isEqualTo("198.19.0.1");
        assertThat(set.get(255).vip()).isEqualTo("198.19.1.0");
        assertThat(set.get(299).vip()).isEqualTo("198.19.1.44");
        assertThat(set.get(299).servicePortName()).isEqualTo("bench/svc-00299:p80");
        assertThat(set.get(0).endpoints())
                .extracting(Object::toString)
                .containsExactly("198.18.2.10:8080", "198.18.2.11:8080");
    }

    @Test
    void rejectsVipsOutsideTheBenchmarkingRange() {
        assertThatThrownBy(() -> ServiceSets.parse("1/tcp/10.0.0.1/80/80/198.18.2.10"))
                .hasMessageContaining("10.0.0.1")
                .hasMessageContaining("198.19.0.0/16");
        assertThatThrownBy(() -> ServiceSets.parse("300/tcp/198.19.255.1/80/80/198.18.2.10"))
                .hasMessageContaining("leave 198.19.0.0/16");
    }

    @Test
    void rejectsAMalformedGroupNamingIt() {
        assertThatThrownBy(() -> ServiceSets.parse("10/tcp/198.19.0.1/80"))
                .hasMessageContaining("'10/tcp/198.19.0.1/80'");
        assertThatThrownBy(() -> ServiceSets.parse("x/tcp/198.19.0.1/80/80/198.18.2.10"))
                .hasMessageContaining("service group");
        assertThatThrownBy(() -> ServiceSets.parse("1/sctp/198.19.0.1/80/80/198.18.2.10"))
                .hasMessageContaining("tcp or udp");
    }
}
