package io.vipd.nodeport.interception;

import static org.assertj.core.api.Assertions.assertThat;

import io.vipd.testing.Requires;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceIpSupportTest {
    @Test
    @Requires(root = true, epoll = true) // gets past the IP_TRANSPARENT check to the nft probe
    void aKernelWithoutTheSocketExpressionIsReported() {
        List<String> scripts = new ArrayList<>();
        String reason = SourceIpSupport.unsupportedReason((command, stdin) -> {
            scripts.add(String.join(" ", command) + "\n" + stdin);
            return new CommandRunner.Result(1, "", "Error: Could not process rule: No such file or directory");
        });
        assertThat(reason)
                .startsWith("the nftables socket expression is not available")
                .contains("No such file");
        // A check run (-c): nothing is committed.
        assertThat(scripts).singleElement().asString().startsWith("nft -c -f -").contains("socket transparent 1");
        assertThat(SourceIpSupport.unsupportedReason((command, stdin) -> new CommandRunner.Result(0, "", "")))
                .isNull();
    }
}
