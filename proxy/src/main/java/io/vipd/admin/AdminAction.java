package io.vipd.admin;

import java.util.List;
import java.util.Map;

/**
 * Changes vipd's state through the admin HTTP server: answered to POST only, and only from a loopback address
 * (so only someone on the host, as with HAProxy's admin socket). Runs on the admin event loop: keep it short.
 */
@FunctionalInterface
public interface AdminAction {
    AdminResponse handle(Map<String, List<String>> query);
}
