package io.vipd.proxy.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.vipd.proxy.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SourceIpSupportTest {
    @Test
    void aKernelWithoutTheSocketExpressionIsReported() {
        assumeTrue(NetNs.isRoot() && Epoll.isAvailable(), "IP_TRANSPARENT needs CAP_NET_ADMIN and epoll");
        List<String> scripts = new ArrayList<>();
        String reason = SourceIpSupport.unsupportedReason((command, stdin) -> {
            scripts.add(String.join(" ", command) + "\n" + stdin);
            return new CommandRunner.Result(1, "", "Error: Could not process rule: No such file or directory");
        });
        assertThat(reason).startsWith("the nftables socket expression is not available").contains("No such file");
        // A check run (-c): nothing is committed.
        assertThat(scripts).singleElement().asString().startsWith("nft -c -f -").contains("socket transparent 1");
        assertThat(SourceIpSupport.unsupportedReason((command, stdin) -> new CommandRunner.Result(0, "", "")))
                .isNull();
    }

    @Test
    void anUnknownSourceIpModeIsAStartUpError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Main()).setErr(new PrintWriter(err)).execute("node", "--source-ip=pod");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--source-ip pod: expected node or client");
    }
}
