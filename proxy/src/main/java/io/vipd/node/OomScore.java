package io.vipd.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** kube-proxy's {@code --oom-score-adj}: how readily the kernel's OOM killer picks this process. Stateless. */
public final class OomScore {
    public static final Path SELF = Path.of("/proc/self/oom_score_adj");

    private OomScore() {}

    /**
     * Writes the value to {@code file} ({@link #SELF} in production).
     *
     * @throws IOException when the kernel refuses (lowering the score needs CAP_SYS_RESOURCE)
     */
    public static void apply(int value, Path file) throws IOException {
        if (value < -1000 || value > 1000) {
            throw new IllegalArgumentException("oom-score-adj: " + value + " outside -1000..1000");
        }
        Files.writeString(file, Integer.toString(value));
    }
}
