package io.vipd.proxy;

import io.netty.channel.uring.IoUring;
import io.vipd.testing.Requirements;
import io.vipd.testing.Requires;
import org.junit.jupiter.api.Assumptions;

/**
 * A test that runs the engine on io_uring: skipped with one line naming the cause where the kernel refuses
 * io_uring, or failed under {@value Requirements#SWITCH}=1, as {@link Requires} does for its requirements.
 */
public final class IoUringRequirement {
    private IoUringRequirement() {}

    public static void assumeAvailable() {
        if (IoUring.isAvailable()) {
            return;
        }
        String missing = "io_uring (" + IoUring.unavailabilityCause() + ")";
        if (Requirements.strictFromEnvironment()) {
            throw new AssertionError(
                    "needs " + missing + " (" + Requirements.SWITCH + "=1: a missing requirement fails)");
        }
        Assumptions.abort("skipped: needs " + missing);
    }
}
