package io.vipd.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vipd completion bash}: picocli's completion script for every vipd subcommand and option. */
@Command(
        name = "completion",
        mixinStandardHelpOptions = true,
        description = "Print a shell completion script, e.g. source <(vipd completion bash). "
                + "zsh reads it too after: autoload -U +X bashcompinit && bashcompinit")
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "bash")
    String shell;

    @Override
    public Integer call() {
        if (!"bash".equals(shell)) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("vipd completion: unsupported shell \"" + shell + "\" (want bash)");
            err.flush();
            return 2;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(AutoComplete.bash("vipd", spec.root().commandLine()));
        out.flush();
        return 0;
    }
}
