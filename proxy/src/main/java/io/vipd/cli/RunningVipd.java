package io.vipd.cli;

import io.vipd.lb.Addresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * A running vipd's admin listener, as the commands that talk to it ({@code vipd services}, {@code vipd backend})
 * find it: the {@code --metrics-bind-address} option and one request to it. A picocli mixin.
 */
final class RunningVipd {
    @Option(
            names = "--metrics-bind-address",
            paramLabel = "IP:PORT",
            defaultValue = "127.0.0.1:10249",
            converter = BindAddressConverter.class,
            description = "the running vipd's metrics address (default ${DEFAULT-VALUE})")
    InetSocketAddress address;

    /** Whether an address was given (an empty one converts to null). */
    boolean known() {
        return address != null;
    }

    /** {@code ip:port} of the admin listener. */
    String hostPort() {
        return Addresses.key(address);
    }

    /** The URL of {@code pathAndQuery} on the admin listener. */
    String url(String pathAndQuery) {
        return "http://" + hostPort() + pathAndQuery;
    }

    /** Sends {@code request} (its URL and method set) over HTTP/1.1, connect timeout 3 s, answer within 10 s. */
    HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(3))
                .build();
        return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET of {@code url}. */
    static HttpRequest.Builder get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).GET();
    }

    /** A POST without a body to {@code url}. */
    static HttpRequest.Builder post(String url) {
        return HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody());
    }
}
