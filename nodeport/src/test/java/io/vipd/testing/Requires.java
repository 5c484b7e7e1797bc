package io.vipd.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a test class or method needs from the machine. When something is missing the test is skipped with one line
 * naming it, or fails when {@value Requirements#SWITCH}=1 (CI sets it, so nothing it installed is silently
 * skipped). See {@link Requirements}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequirementsExtension.class)
public @interface Requires {
    /** Effective uid 0 with CAP_NET_ADMIN and CAP_SYS_ADMIN: network namespaces, nftables, IP_TRANSPARENT. */
    boolean root() default false;

    /** Netty's native epoll transport (transparent listeners, splice, socket hand-over). */
    boolean epoll() default false;

    /** Programs that must be on PATH, e.g. {@code nft}, {@code ip}, {@code socat}, {@code promtool}. */
    String[] commands() default {};
}
