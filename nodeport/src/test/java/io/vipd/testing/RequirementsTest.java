package io.vipd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

class RequirementsTest {
    private static final String ABSENT = "vipd-no-such-command-4f1c";

    @Test
    void findsOnlyExecutableFilesOnThePath(@TempDir Path dir) throws IOException {
        Path tool = Files.createFile(
                dir.resolve("tool"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.createFile(dir.resolve("data"));
        String path = "/nonexistent:" + dir;
        assertThat(Requirements.onPath(tool.getFileName().toString(), path)).isTrue();
        assertThat(Requirements.onPath("data", path)).isFalse();
        assertThat(Requirements.onPath("tool", "/nonexistent")).isFalse();
        assertThat(Requirements.onPath("tool", null)).isFalse();
    }

    @Test
    void namesOnlyTheMissingCommandsInOnePhrase() {
        assertThat(Requirements.missing(false, false, List.of("sh", ABSENT, ABSENT + "-2")))
                .containsExactly("not on PATH: " + ABSENT + ", " + ABSENT + "-2");
        assertThat(Requirements.missing(false, false, List.of("sh"))).isEmpty();
    }

    @Test
    void rootMeansTheNetworkAdministrationCapabilities() {
        assertThat(Requirements.hasCapabilities("000001ffffffffff")).isTrue();
        // Docker's default set for root: no CAP_NET_ADMIN, no CAP_SYS_ADMIN.
        assertThat(Requirements.hasCapabilities("00000000a80425fb")).isFalse();
        assertThat(Requirements.hasCapabilities("")).isFalse();
    }

    @Test
    void aMissingCommandSkipsTheClassOrTheMethod() {
        TestExecutionSummary classLevel = run(NeedsAnAbsentCommand.class, false);
        assertThat(classLevel.getContainersSkippedCount()).isEqualTo(1);
        assertThat(classLevel.getTestsStartedCount()).isZero();
        assertThat(classLevel.getTotalFailureCount()).isZero();

        TestExecutionSummary methodLevel = run(OneMethodNeedsAnAbsentCommand.class, false);
        assertThat(methodLevel.getTestsSkippedCount()).isEqualTo(1);
        assertThat(methodLevel.getTestsSucceededCount()).isEqualTo(1);
        assertThat(methodLevel.getTotalFailureCount()).isZero();
    }

    @Test
    void underTheSwitchAMissingCommandFails() {
        TestExecutionSummary classLevel = run(NeedsAnAbsentCommand.class, true);
        assertThat(classLevel.getContainersFailedCount()).isEqualTo(1);
        assertThat(classLevel.getFailures())
                .singleElement()
                .extracting(f -> f.getException().getMessage())
                .asString()
                .isEqualTo("NeedsAnAbsentCommand needs not on PATH: " + ABSENT + " (" + Requirements.SWITCH
                        + "=1: a missing requirement fails)");

        TestExecutionSummary methodLevel = run(OneMethodNeedsAnAbsentCommand.class, true);
        assertThat(methodLevel.getTestsFailedCount()).isEqualTo(1);
        assertThat(methodLevel.getTestsSucceededCount()).isEqualTo(1);
    }

    @Test
    void metRequirementsRunTheTestEvenUnderTheSwitch() {
        TestExecutionSummary summary = run(NeedsAShell.class, true);
        assertThat(summary.getTestsSucceededCount()).isEqualTo(1);
        assertThat(summary.getTotalFailureCount()).isZero();
    }

    private static TestExecutionSummary run(Class<?> fixture, boolean strict) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(fixture))
                .configurationParameter(RequirementsExtension.STRICT_PARAMETER, Boolean.toString(strict))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        return listener.getSummary();
    }

    // Fixtures run only through the launcher above (surefire leaves nested classes alone).

    @Requires(commands = ABSENT)
    static class NeedsAnAbsentCommand {
        @Test
        void neverRuns() {
            throw new AssertionError("ran although " + ABSENT + " is missing");
        }
    }

    static class OneMethodNeedsAnAbsentCommand {
        @Test
        @Requires(commands = ABSENT)
        void neverRuns() {
            throw new AssertionError("ran although " + ABSENT + " is missing");
        }

        @Test
        void runs() {}
    }

    @Requires(commands = "sh")
    static class NeedsAShell {
        @Test
        void runs() {}
    }
}
