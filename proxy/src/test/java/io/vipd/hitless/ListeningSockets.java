package io.vipd.hitless;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Which processes hold a listening TCP port, as {@code ss -ltnp} shows it (run in a namespace if given). */
public final class ListeningSockets {
    private static final Pattern PID = Pattern.compile("pid=(\\d+)");

    private ListeningSockets() {}

    /** The pids holding a TCP listener on {@code port}; {@code netns} null for the test's own namespace. */
    public static Set<Long> tcpOwners(String netns, int port) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", netns));
        }
        cmd.addAll(List.of("ss", "-Hltnp", "sport = :" + port));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        Set<Long> pids = new TreeSet<>();
        Matcher m = PID.matcher(out);
        while (m.find()) {
            pids.add(Long.parseLong(m.group(1)));
        }
        return pids;
    }
}
