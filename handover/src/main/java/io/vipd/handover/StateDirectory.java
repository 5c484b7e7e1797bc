package io.vipd.handover;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Where a running vipd keeps what its successor needs: the hand-over socket, the table snapshot, and the owner
 * file naming the process that holds the listeners (a Kubernetes readiness probe reads it, since both pods of a
 * rollout answer on the same host ports). Only the owner writes here.
 */
public final class StateDirectory {
    public static final String SOCKET = "handover.sock";
    public static final String OWNER = "owner";
    /** The Kubernetes pod UID the owner file names, from the downward API (deploy/daemonset.yaml). */
    public static final String POD_UID_ENV = "VIPD_POD_UID";

    private final Path dir;

    public StateDirectory(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** {@code vipd node}'s default, like kube-proxy's runtime files under /run. */
    public static Path nodeDefault() {
        return Path.of("/run/vipd");
    }

    /**
     * {@code vipd edge}'s default: one directory per configuration file, so that a vipd started on the same
     * file takes over from the running one, and one started on another file never does. Under /run/vipd for
     * root, else under $XDG_RUNTIME_DIR or the temporary directory.
     */
    public static Path edgeDefault(Path configFile, boolean root, String xdgRuntimeDir) {
        Path base = root
                ? Path.of("/run/vipd")
                : xdgRuntimeDir != null && !xdgRuntimeDir.isBlank()
                        ? Path.of(xdgRuntimeDir, "vipd")
                        : Path.of(System.getProperty("java.io.tmpdir"), "vipd-" + System.getProperty("user.name"));
        String abs = configFile.toAbsolutePath().normalize().toString();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(abs.getBytes(StandardCharsets.UTF_8));
            return base.resolve("edge-" + HexFormat.of().formatHex(digest, 0, 6));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public Path path() {
        return dir;
    }

    public Path socket() {
        return dir.resolve(SOCKET);
    }

    public Path owner() {
        return dir.resolve(OWNER);
    }

    /** Creates the directory (owner-only permissions when it is new). */
    public void create() throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }

    /** Records this process as the one holding the listeners (atomically: a probe never reads half a file). */
    public void claimOwnership(String mode, String podUid) throws IOException {
        String text = "pid=" + ProcessHandle.current().pid() + "\nmode=" + mode + "\npod="
                + (podUid == null ? "" : podUid) + "\nsince=" + Instant.now() + "\n";
        Path tmp = dir.resolve(OWNER + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, owner(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The pid the owner file names, if any. */
    public Optional<Long> ownerPid() throws IOException {
        try {
            for (String line : Files.readAllLines(owner(), StandardCharsets.UTF_8)) {
                if (line.startsWith("pid=")) {
                    return Optional.of(Long.parseLong(line.substring(4).trim()));
                }
            }
            return Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
