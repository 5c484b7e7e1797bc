package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesCompactlyInTheMapsOrderAndReadsItBack() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("z", "a \"quoted\"\nline\u0001");
        doc.put("a", List.of(1, 2.5, true));
        doc.put("none", null);
        doc.put("nested", Map.of("k", 7_000_000_000L));
        String json = Json.write(doc);
        assertThat(json)
                .isEqualTo("{\"z\":\"a \\\"quoted\\\"\\nline\\u0001\",\"a\":[1,2.5,true],\"none\":null,"
                        + "\"nested\":{\"k\":7000000000}}");
        assertThat(Json.read(json)).isEqualTo(doc);
    }

    @Test
    void quotesAStringLiteral() {
        assertThat(Json.quote("tab\there \\ \"q\"")).isEqualTo("\"tab\\there \\\\ \\\"q\\\"\"");
    }

    @Test
    void anythingButAnObjectIsRefused() {
        for (String notAnObject : Arrays.asList("[1]", "42", "null", "{\"a\":")) {
            assertThatThrownBy(() -> Json.read(notAnObject))
                    .as(notAnObject)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a JSON object");
        }
    }
}
