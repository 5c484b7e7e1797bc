package io.vipd.proxy;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import io.netty.channel.unix.FileDescriptor;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipes a {@link SpliceRelay} moves bytes through, enlarged from the kernel's 64 KiB to 1 MiB (or
 * {@code fs.pipe-max-size} if lower) with fcntl(F_SETPIPE_SZ). Every pipe load costs a splice in, a splice out
 * and usually a wake-up, so a larger pipe moves a bulk stream with fewer of them (bench/README.md: bulk TCP over
 * veth about 8 % faster). Neither Netty nor Java 17 offers fcntl; JNA calls it.
 *
 * <p>An unprivileged process (no CAP_SYS_RESOURCE or CAP_SYS_ADMIN) is held to {@code fs.pipe-user-pages-soft}
 * (64 MiB by default) over all its pipes, and past it the kernel gives every new pipe two pages: enlarging stops
 * at half that budget, so pipes opened later still get the default size. A pipe that is not enlarged, for that
 * or any other reason, works as before, only with more syscalls per byte.
 */
final class SplicePipes {
    private static final Logger log = LoggerFactory.getLogger(SplicePipes.class);
    static final int F_SETPIPE_SZ = 1031;
    static final int F_GETPIPE_SZ = 1032;
    static final int PREFERRED_SIZE = 1 << 20;
    /** The kernel's default pipe: 16 pages. */
    static final int DEFAULT_SIZE = 64 * 1024;

    private static final int PAGE_SIZE = 4096;
    private static final int CAP_SYS_ADMIN = 21;
    private static final int CAP_SYS_RESOURCE = 24;

    /** The process's pipes, sized from what this kernel and these privileges allow. */
    static final SplicePipes SYSTEM = fromSystem();

    /** Bytes to ask for per pipe; 0 leaves pipes as the kernel makes them. */
    private final int size;
    /** Enlarged capacity this process may hold at once. */
    private final long budget;

    private final AtomicLong held = new AtomicLong();
    private final AtomicBoolean refusalLogged = new AtomicBoolean();

    SplicePipes(int size, long budget) {
        this.size = LibC.INSTANCE == null ? 0 : size;
        this.budget = budget;
    }

    /** The size pipes are asked to have (0: the kernel's default). */
    int size() {
        return size;
    }

    /** A new pipe, enlarged while the budget allows. */
    Pipe open() throws IOException {
        FileDescriptor[] fds = FileDescriptor.pipe();
        Pipe pipe = new Pipe(fds[0], fds[1]);
        if (size > DEFAULT_SIZE && reserve()) {
            try {
                LibC.INSTANCE.fcntl(pipe.write.intValue(), F_SETPIPE_SZ, size);
                pipe.enlarged = true;
            } catch (LastErrorException e) {
                held.addAndGet(-size);
                if (refusalLogged.compareAndSet(false, true)) {
                    log.atInfo()
                            .addKeyValue("size", size)
                            .addKeyValue("errno", e.getErrorCode())
                            .log("the kernel refused to enlarge a splice pipe; such pipes keep 64 KiB");
                }
            }
        }
        return pipe;
    }

    private boolean reserve() {
        long now;
        do {
            now = held.get();
            if (now + size > budget) {
                return false;
            }
        } while (!held.compareAndSet(now, now + size));
        return true;
    }

    /** Closes both ends and returns an enlarged pipe's share of the budget. */
    void close(Pipe pipe) {
        closeQuietly(pipe.read);
        closeQuietly(pipe.write);
        if (pipe.enlarged) {
            pipe.enlarged = false;
            held.addAndGet(-size);
        }
    }

    /** The pipe's capacity in bytes, as the kernel reports it. */
    static int capacity(Pipe pipe) {
        return LibC.INSTANCE.fcntl(pipe.write.intValue(), F_GETPIPE_SZ, 0);
    }

    /** Enlarged capacity held now, in bytes. */
    long held() {
        return held.get();
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException ignored) {
            // nothing to do about a pipe that fails to close
        }
    }

    /** One pipe: the end splice writes into and the end it reads from. */
    static final class Pipe {
        final FileDescriptor read;
        final FileDescriptor write;
        private boolean enlarged;

        Pipe(FileDescriptor read, FileDescriptor write) {
            this.read = read;
            this.write = write;
        }
    }

    static SplicePipes fromSystem() {
        long maxSize = readLong(Path.of("/proc/sys/fs/pipe-max-size"), 0);
        int size = (int) Math.min(PREFERRED_SIZE, maxSize);
        long budget = Long.MAX_VALUE;
        if (!privileged(Path.of("/proc/self/status"))) {
            long softPages = readLong(Path.of("/proc/sys/fs/pipe-user-pages-soft"), 0);
            budget = softPages == 0 ? Long.MAX_VALUE : softPages * PAGE_SIZE / 2;
        }
        return new SplicePipes(size, budget);
    }

    /** Whether the kernel exempts this process from the per-user pipe limits. */
    static boolean privileged(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << CAP_SYS_RESOURCE | 1L << CAP_SYS_ADMIN)) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            log.atDebug().addKeyValue("reason", String.valueOf(e)).log("cannot read capabilities");
        }
        return false;
    }

    /** The number in a sysctl file; read in one go, since procfs answers a read at an offset with end of file. */
    static long readLong(Path file, long otherwise) {
        try (BufferedReader in = Files.newBufferedReader(file)) {
            return Long.parseLong(in.readLine().trim());
        } catch (IOException | RuntimeException e) {
            return otherwise;
        }
    }

    /** libc's fcntl with an int argument; null where JNA cannot load (then pipes keep the default size). */
    interface LibC extends Library {
        LibC INSTANCE = load();

        int fcntl(int fd, int cmd, int arg) throws LastErrorException;

        private static LibC load() {
            try {
                return Native.load("c", LibC.class);
            } catch (LinkageError e) {
                LoggerFactory.getLogger(SplicePipes.class)
                        .atInfo()
                        .addKeyValue("reason", String.valueOf(e))
                        .log("JNA unavailable: splice pipes keep the kernel's 64 KiB");
                return null;
            }
        }
    }
}
