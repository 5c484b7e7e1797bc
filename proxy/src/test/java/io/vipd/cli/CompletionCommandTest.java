package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompletionCommandTest {
    @Test
    void bashCompletesSubcommandsAndOptions(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        assertThat(Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "completion", "bash"))
                .isZero();
        Path script = Files.writeString(dir.resolve("vipd.bash"), out.toString());
        assertThat(complete(script, "vipd ed")).isEqualTo("edge");
        assertThat(complete(script, "vipd edge --conf")).contains("--config");
        assertThat(complete(script, "vipd comp")).isEqualTo("completion");
    }

    @Test
    void anotherShellIsAUsageError() {
        StringWriter err = new StringWriter();
        assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "completion", "fish"))
                .isEqualTo(2);
        assertThat(err.toString()).isEqualTo("vipd completion: unsupported shell \"fish\" (want bash)\n");
    }

    /** What the script offers for the last word of {@code line}, as bash computes it. */
    private static String complete(Path script, String line) throws IOException, InterruptedException {
        String[] words = line.split(" ");
        String program = "source '" + script + "'; COMP_WORDS=(" + line + "); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE='" + line + "'; COMP_POINT=" + line.length()
                + "; _complete_vipd; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process bash = new ProcessBuilder("bash", "-c", program)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String reply = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(bash.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return reply;
    }
}
