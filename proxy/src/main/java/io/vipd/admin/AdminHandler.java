package io.vipd.admin;

import java.util.List;
import java.util.Map;

/** Answers one path of the admin HTTP server. Runs on the admin event loop: keep it short. */
@FunctionalInterface
public interface AdminHandler {
    AdminResponse handle(Map<String, List<String>> query);

    /**
     * What the server calls: {@code accept} is the request's {@code Accept} header ("" when absent). Handlers
     * with one representation ignore it; the status page answers HTML to browsers and text to curl.
     */
    default AdminResponse handle(Map<String, List<String>> query, String accept) {
        return handle(query);
    }
}
