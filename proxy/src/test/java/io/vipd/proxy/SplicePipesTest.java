package io.vipd.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.testing.Requires;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Requires(epoll = true) // pipes for splice exist with native epoll only
class SplicePipesTest {
    private static final int KIB = 1024;

    @Test
    void enlargesPipesUntilTheBudgetIsHeldThenOpensDefaultOnes() throws Exception {
        SplicePipes pipes = new SplicePipes(256 * KIB, 512 * KIB);
        SplicePipes.Pipe first = pipes.open();
        SplicePipes.Pipe second = pipes.open();
        SplicePipes.Pipe third = pipes.open();
        try {
            assertThat(SplicePipes.capacity(first)).isEqualTo(256 * KIB);
            assertThat(SplicePipes.capacity(second)).isEqualTo(256 * KIB);
            assertThat(SplicePipes.capacity(third)).isEqualTo(SplicePipes.DEFAULT_SIZE);
            assertThat(pipes.held()).isEqualTo(512 * KIB);

            pipes.close(first);
            pipes.close(third);
            assertThat(pipes.held()).isEqualTo(256 * KIB);
            first = pipes.open();
            assertThat(SplicePipes.capacity(first)).isEqualTo(256 * KIB);
        } finally {
            pipes.close(first);
            pipes.close(second);
        }
        assertThat(pipes.held()).isZero();
    }

    @Test
    void anEnlargedPipeTakesMoreThanTheDefaultWithoutAReader() throws Exception {
        SplicePipes pipes = new SplicePipes(256 * KIB, Long.MAX_VALUE);
        SplicePipes.Pipe pipe = pipes.open();
        try {
            int written = 0;
            ByteBuffer chunk = ByteBuffer.allocateDirect(16 * KIB);
            for (int i = 0; i < 32; i++) { // 512 KiB offered; the write end is non-blocking
                chunk.clear();
                int n = pipe.write.write(chunk, 0, chunk.capacity());
                if (n <= 0) {
                    break;
                }
                written += n;
            }
            assertThat(written).isEqualTo(256 * KIB);
        } finally {
            pipes.close(pipe);
        }
    }

    @Test
    void theSystemSizeIsOneMebibyteOrTheKernelsMaximum() throws Exception {
        Process cat = new ProcessBuilder("cat", "/proc/sys/fs/pipe-max-size").start();
        long maxSize = Long.parseLong(new String(cat.getInputStream().readAllBytes()).trim());
        assertThat(cat.waitFor()).isZero();
        assertThat(SplicePipes.readLong(Path.of("/proc/sys/fs/pipe-max-size"), -1))
                .isEqualTo(maxSize);
        assertThat(SplicePipes.fromSystem().size()).isEqualTo(Math.min(SplicePipes.PREFERRED_SIZE, maxSize));
    }

    @Test
    void privilegeComesFromCapSysResourceOrCapSysAdmin(@TempDir Path dir) throws Exception {
        assertThat(SplicePipes.privileged(status(dir, "000001ffffffffff"))).isTrue();
        assertThat(SplicePipes.privileged(status(dir, "0000000001000000"))).isTrue(); // CAP_SYS_RESOURCE
        assertThat(SplicePipes.privileged(status(dir, "0000000000200000"))).isTrue(); // CAP_SYS_ADMIN
        assertThat(SplicePipes.privileged(status(dir, "00000000a80425fb"))).isFalse(); // Docker's default set
        assertThat(SplicePipes.privileged(dir.resolve("missing"))).isFalse();
    }

    private static Path status(Path dir, String capEff) throws Exception {
        Path file = dir.resolve("status-" + capEff);
        Files.writeString(file, "Name:\tjava\nCapPrm:\t" + capEff + "\nCapEff:\t" + capEff + "\nCapBnd:\t0\n");
        return file;
    }
}
