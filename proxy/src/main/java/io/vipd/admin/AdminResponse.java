package io.vipd.admin;

import java.util.Map;

/** One response of the admin HTTP server. Immutable. */
public record AdminResponse(int status, String contentType, String body, Map<String, String> headers) {
    public static final String JSON = "application/json";
    public static final String TEXT = "text/plain; charset=utf-8";
    public static final String HTML = "text/html; charset=utf-8";

    public AdminResponse {
        headers = Map.copyOf(headers);
    }

    public static AdminResponse text(int status, String body) {
        return new AdminResponse(status, TEXT, body, Map.of());
    }

    public static AdminResponse json(int status, String body) {
        return new AdminResponse(status, JSON, body, Map.of());
    }
}
