package io.vipd.nodeport.interception;

import java.io.IOException;
import java.util.List;

/** Runs a host command (nft, ip) with optional standard input. Implementations are thread-safe. */
@FunctionalInterface
public interface CommandRunner {
    /** The outcome of one command. */
    record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    Result run(List<String> command, String stdin) throws IOException;

    /** Runs commands as child processes of this JVM, so they act in vipd's own network namespace. */
    static CommandRunner processes() {
        return new ProcessCommandRunner();
    }
}
