package io.vipd.admin;

import java.util.List;
import java.util.Map;

/** Answers one path of the admin HTTP server. Runs on the admin event loop: keep it short. */
@FunctionalInterface
public interface AdminHandler {
    AdminResponse handle(Map<String, List<String>> query);
}
