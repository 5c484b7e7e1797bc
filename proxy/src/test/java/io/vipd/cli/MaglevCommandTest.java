package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MaglevCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private List<String> outLines() {
        return out.toString().lines().toList();
    }

    @Test
    void printsSizeDigestAndEntriesInCanonicalOrder() {
        assertThat(run("maglev", "10.0.0.2:80=2", "[FD00::1]:80", "10.0.0.1:80"))
                .isZero();
        List<String> lines = outLines();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0)).isEqualTo("table-size: 509");
        assertThat(lines.get(1)).matches("digest: [0-9a-f]{64}");
        assertThat(lines.subList(2, 5))
                .containsExactly("10.0.0.1:80 entries=127", "10.0.0.2:80 entries=255", "[fd00::1]:80 entries=127");
        assertThat(err.toString()).isEmpty();
    }

    /** The same set as lb-algorithms' golden file mixed-weighted-m251.txt: the CLI builds what the proxy builds. */
    @Test
    void matchesTheLibraryGoldenDigest() {
        assertThat(run(
                        "maglev",
                        "--table-size",
                        "251",
                        "10.0.0.1:80=1",
                        "10.0.0.2:80=2",
                        "[fd00::1]:80=3",
                        "[fd00::2]:8080=0",
                        "192.168.1.10:443=5"))
                .isZero();
        assertThat(outLines())
                .startsWith(
                        "table-size: 251",
                        "digest: 87a40a45e8cb3e748511c73531f3420737ad4957c176b2685337466a9eb2e3c7",
                        "10.0.0.1:80 entries=23",
                        "10.0.0.2:80 entries=46",
                        "192.168.1.10:443 entries=114",
                        "[fd00::1]:80 entries=68",
                        "[fd00::2]:8080 entries=0");
    }

    @Test
    void dumpPrintsEverySlotAndTheDigestCoversThem() throws Exception {
        assertThat(run("maglev", "--table-size", "7", "--dump", "10.0.0.1:80", "10.0.0.2:80"))
                .isZero();
        List<String> lines = outLines();
        assertThat(lines.get(0)).isEqualTo("table-size: 7");
        assertThat(lines.get(4)).isEqualTo("slots:");
        List<String> slots = lines.subList(5, lines.size());
        assertThat(slots).hasSize(7).allMatch(s -> s.equals("10.0.0.1:80") || s.equals("10.0.0.2:80"));
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256")
                .digest((String.join("\n", slots) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(lines.get(1)).isEqualTo("digest: " + java.util.HexFormat.of().formatHex(sha));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "bad address            | maglev 10.0.0.300:80                      | not an IP address",
                "host name              | maglev example.com:80                     | not an IP address",
                "missing port           | maglev 10.0.0.1                           | ip:port",
                "port 0                 | maglev 10.0.0.1:0                         | outside 1..65535",
                "port 65536             | maglev 10.0.0.1:65536                     | outside 1..65535",
                "negative weight        | maglev 10.0.0.1:80=-1                     | negative weight",
                "bad weight             | maglev 10.0.0.1:80=x                      | bad weight",
                "non-prime M            | maglev --table-size 100 10.0.0.1:80       | not a prime",
                "M = 1                  | maglev --table-size 1 10.0.0.1:80         | not a prime",
                "negative M             | maglev --table-size -7 10.0.0.1:80        | not a prime",
                "M not a number         | maglev --table-size big 10.0.0.1:80       | big",
                "more backends than M   | maglev --table-size 2 10.0.0.1:80 10.0.0.2:80 10.0.0.3:80 | do not fit",
                "more backends than M, weight 0 | maglev --table-size 2 10.0.0.1:80 10.0.0.2:80 10.0.0.3:80=0 | do not fit",
                "duplicate              | maglev 10.0.0.1:80 10.0.0.1:80=2          | duplicate backend 10.0.0.1:80",
                "no backends            | maglev                                    | BACKEND",
                "unknown option         | maglev --bogus 10.0.0.1:80                | --bogus",
            })
    void invalidInputExitsTwoWithOneLineOnStderr(String name, String args, String reason) {
        assertThat(run(args.split(" "))).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines().toList()).singleElement().asString().contains(reason);
    }
}
