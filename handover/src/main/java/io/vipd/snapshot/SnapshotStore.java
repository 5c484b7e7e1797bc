package io.vipd.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot file in the state directory. A write goes to a temporary file that is synced and then renamed
 * over the old one, so a crash at any moment leaves either the old or the new snapshot, never a torn one.
 * Reads never fail a start: a missing, corrupt or foreign snapshot is reported and ignored. One writer at a time.
 */
public final class SnapshotStore {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);
    public static final String FILE_NAME = "table.snapshot";

    private final Path file;

    public SnapshotStore(Path stateDir) {
        this.file = stateDir.resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    /** @return the bytes written */
    public int write(TableSnapshot snapshot) throws IOException {
        byte[] bytes = SnapshotCodec.encode(snapshot);
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(false);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("state directory " + file.getParent() + " cannot rename atomically", e);
        }
        return bytes.length;
    }

    /**
     * The snapshot to serve from, if there is a usable one of this mode. Logs why one is not used.
     */
    public Optional<TableSnapshot> read(String mode) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.atWarn()
                    .addKeyValue("file", file)
                    .addKeyValue("reason", e.toString())
                    .log("cannot read the table snapshot; starting without it");
            return Optional.empty();
        }
        TableSnapshot s;
        try {
            s = SnapshotCodec.decode(bytes);
        } catch (SnapshotFormatException e) {
            log.atWarn()
                    .addKeyValue("file", file)
                    .addKeyValue("reason", e.getMessage())
                    .log("ignoring the table snapshot");
            return Optional.empty();
        }
        if (!s.mode().equals(mode)) {
            log.atWarn()
                    .addKeyValue("file", file)
                    .addKeyValue("snapshot_mode", s.mode())
                    .log("ignoring a table snapshot of vipd " + s.mode() + " in a vipd " + mode + "'s state directory");
            return Optional.empty();
        }
        return Optional.of(s);
    }
}
