package io.vipd.edge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when a file's content changes, however it was replaced: written in place, renamed over
 * (editors), or swapped through a symlink (Kubernetes ConfigMap volumes replace the {@code ..data} symlink
 * in the file's directory). It watches the file's directory and, because a symlink's target may live
 * elsewhere, also polls; either way it compares a digest of the content it reads through the path, so
 * it fires once per real change and never for a touch. One daemon thread.
 */
public final class ConfigFileWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigFileWatcher.class);
    /** Editors write a file in several steps; wait for them to settle before reading. */
    private static final long SETTLE_MILLIS = 50;

    private final Path file;
    private final Duration pollInterval;
    private final Runnable onChange;
    private final Thread thread;
    private volatile boolean closed;
    private WatchService watchService;
    private byte[] lastDigest;

    /**
     * @param file         the file as named by the user (not resolved: its symlinks may be swapped)
     * @param pollInterval how often to check even without a directory event
     * @param baseline     {@link #digest(String)} of the content already applied; a file differing from it
     *                     at the first check is a change
     * @param onChange     runs on the watcher thread after each content change
     */
    public ConfigFileWatcher(Path file, Duration pollInterval, byte[] baseline, Runnable onChange) {
        this.file = file.toAbsolutePath();
        this.pollInterval = pollInterval;
        this.onChange = onChange;
        this.lastDigest = baseline.clone();
        this.thread = new Thread(this::run, "vipd-config-watcher");
        thread.setDaemon(true);
    }

    public void start() {
        try {
            watchService = FileSystems.getDefault().newWatchService();
            file.getParent()
                    .register(
                            watchService,
                            StandardWatchEventKinds.ENTRY_CREATE,
                            StandardWatchEventKinds.ENTRY_MODIFY,
                            StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            log.atWarn()
                    .addKeyValue("file", file)
                    .addKeyValue("reason", e.getMessage())
                    .log("cannot watch the config directory; polling only");
            watchService = null;
        }
        thread.start();
    }

    private void run() {
        while (!closed) {
            try {
                if (watchService != null) {
                    WatchKey key = watchService.poll(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
                    if (key != null) {
                        Thread.sleep(SETTLE_MILLIS);
                        key.pollEvents();
                        key.reset();
                        drain();
                    }
                } else {
                    Thread.sleep(pollInterval.toMillis());
                }
                checkNow();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                log.atError().addKeyValue("file", file).setCause(e).log("config watcher failed a check");
            }
        }
    }

    private void drain() {
        WatchKey more;
        while ((more = watchService.poll()) != null) {
            more.pollEvents();
            more.reset();
        }
    }

    /** Runs the callback if the content differs from the last content seen. */
    void checkNow() {
        byte[] current = digest();
        if (!Arrays.equals(current, lastDigest)) {
            lastDigest = current;
            if (!closed) {
                onChange.run();
            }
        }
    }

    private byte[] digest() {
        try {
            return sha256(Files.readAllBytes(file));
        } catch (IOException e) {
            // Missing for a moment during a swap, or gone: remember "unreadable" so its return is a change.
            return new byte[0];
        }
    }

    /** The digest of a file's text, as this watcher compares contents. */
    public static byte[] digest(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                log.atDebug().addKeyValue("reason", e.getMessage()).log("closing the watch service");
            }
        }
    }
}
