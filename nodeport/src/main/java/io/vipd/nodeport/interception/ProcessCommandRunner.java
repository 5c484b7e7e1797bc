package io.vipd.nodeport.interception;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** {@link CommandRunner} over {@link ProcessBuilder}, with a 30 s bound per command. Thread-safe. */
final class ProcessCommandRunner implements CommandRunner {
    private static final long TIMEOUT_SECONDS = 30;

    @Override
    public Result run(List<String> command, String stdin) throws IOException {
        Process p = new ProcessBuilder(command).start();
        CompletableFuture<String> out = read(p.getInputStream());
        CompletableFuture<String> err = read(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no exit after " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException(String.join(" ", command) + ": " + e.getCause(), e.getCause());
        }
    }

    private static CompletableFuture<String> read(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                return new String(s.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }
}
