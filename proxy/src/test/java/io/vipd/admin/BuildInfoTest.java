package io.vipd.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vipd.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BuildInfoTest {
    @Test
    void theBuildRecordsTheProjectVersionAndTheGitRevision() throws Exception {
        BuildInfo info = BuildInfo.current();
        assertThat(info.version()).isEqualTo(System.getProperty("vipd.project.version"));
        String head = gitHead();
        if (head == null) {
            assertThat(info.revision()).isEqualTo("unknown");
        } else {
            assertThat(info.revision()).matches("[0-9a-f]{12}(-dirty)?").startsWith(head.substring(0, 12));
        }
    }

    @Test
    void missingFieldsAreUnknown() {
        Properties outsideGit = new Properties();
        outsideGit.setProperty("version", "1.2.3");
        outsideGit.setProperty("revision", "");
        assertThat(BuildInfo.of(outsideGit)).isEqualTo(new BuildInfo("1.2.3", "unknown"));
        assertThat(BuildInfo.of(new Properties())).isEqualTo(new BuildInfo("unknown", "unknown"));
    }

    @Test
    void versionFlagPrintsVersionAndRevision() {
        StringWriter out = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--version");
        assertThat(code).isZero();
        BuildInfo info = BuildInfo.current();
        assertThat(out.toString().trim())
                .isEqualTo("vipd " + info.version() + " (revision " + info.revision() + ")")
                .doesNotContain("unknown");
    }

    @Test
    void everyRegistryExportsBuildInfo() {
        PrometheusMeterRegistry registry = VipdMetrics.newRegistry();
        try {
            BuildInfo info = BuildInfo.current();
            assertThat(registry.scrape())
                    .contains("# TYPE vipd_build_info gauge")
                    .contains("vipd_build_info{revision=\"" + info.revision() + "\",version=\"" + info.version()
                            + "\"} 1");
        } finally {
            registry.close();
        }
    }

    /** HEAD's full hash, or null when this is not a git checkout or git is absent. */
    private static String gitHead() throws InterruptedException {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "HEAD")
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return git.waitFor(10, TimeUnit.SECONDS) && git.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        }
    }
}
