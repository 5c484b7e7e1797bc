package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code vipd node}'s flag errors: exit 2 and one line naming the flag, before anything is set up. */
class NodeCommandTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "--connect-attempts|0|vipd node: --connect-attempts 0: must be at least 1",
                "--splice|sometimes|vipd node: --splice sometimes: want off, auto or on",
                "--udp-idle-timeout|0s|vipd node: --udp-idle-timeout 0s: must be at least 1ms",
                "--source-ip|pod|vipd node: --source-ip pod: expected node or client"
            })
    void aBadFlagExitsWith2NamingIt(String flag, String value, String message) {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new NodeCommand())
                .setOut(new PrintWriter(new StringWriter()))
                .setErr(new PrintWriter(err))
                .execute(flag, value);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).isEqualTo(message + "\n");
    }

    @Test
    void anUnknownSourceIpModeIsAStartUpError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Main()).setErr(new PrintWriter(err)).execute("node", "--source-ip=pod");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--source-ip pod: expected node or client");
    }
}
