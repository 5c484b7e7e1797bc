package io.vipd.cli;

import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.MaglevTable;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vipd maglev}: builds a Maglev table exactly as the proxy would and prints its digest and shares. */
@Command(
        name = "maglev",
        mixinStandardHelpOptions = true,
        description = "Build a Maglev table as the proxy would and print its size, digest and entries per backend.")
final class MaglevCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--table-size",
            paramLabel = "M",
            description = "prime table size (default: the smallest of the ladder with M >= 100*N)")
    Integer tableSize;

    @Option(names = "--dump", description = "also print the owner of every slot")
    boolean dump;

    @Parameters(arity = "1..*", paramLabel = "BACKEND[=WEIGHT]", description = "ip:port or [v6]:port, optional =weight")
    List<String> backends = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BackendSet set;
        MaglevTable table;
        try {
            List<Backend> parsed = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String b : backends) {
                Backend backend = Backend.parseWeighted(b);
                if (!seen.add(backend.key())) {
                    throw new IllegalArgumentException("duplicate backend " + backend.key());
                }
                parsed.add(backend);
            }
            set = BackendSet.of(parsed);
            int m = tableSize != null ? tableSize : MaglevTable.defaultSize(set.size());
            table = MaglevTable.build(set.keys(), set.weights(), m); // validates M first
            if (set.size() > m) {
                // Weight-0 backends would fit, but a table smaller than its backend list is a mistake.
                throw new IllegalArgumentException(set.size() + " backends do not fit in " + m + " slots");
            }
        } catch (IllegalArgumentException e) {
            err.println("vipd maglev: " + e.getMessage());
            err.flush();
            return 2;
        }
        out.println("table-size: " + table.size());
        out.println("digest: " + table.digest(set.keys()));
        int[] counts = table.counts();
        for (int i = 0; i < set.size(); i++) {
            out.println(set.key(i) + " entries=" + (i < counts.length ? counts[i] : 0));
        }
        if (dump) {
            out.println("slots:");
            for (int s = 0; s < table.size(); s++) {
                out.println(table.backendCount() == 0 ? "-" : set.key(table.slot(s)));
            }
        }
        out.flush();
        return 0;
    }
}
