package io.vipd.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vipd.admin.HeadlessChromium;
import io.vipd.cli.demo.DemoBackends;
import io.vipd.cli.demo.DemoClient;
import io.vipd.lb.Addresses;
import io.vipd.proxy.ProxyConfig;
import io.vipd.testing.Requires;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real browser: a running {@code vipd edge} on loopback with a ready, a drained and an
 * ejected backend, an empty service and a refused reload whose error quotes markup; headless Chromium loads
 * {@code /}, the test reads the DOM it built and the colours of its screenshot (kept as
 * {@code target/status-page/edge-status.png}).
 */
class EdgeStatusPageBrowserTest {
    private static final String FRONT = "127.0.79.1";
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Path SCREENSHOT = Path.of("target", "status-page", "edge-status.png");
    // The state cells' colours in StatusHtml's style sheet; a cell is over 1,000 pixels of one, the legend's
    // swatch of each about 250, and no other part of the page uses them.
    private static final int CELL_PIXELS = 1000;
    private static final int READY_GREEN = 0x2e7d32;
    private static final int DRAINED_GREY = 0x546e7a;
    private static final int EJECTED_RED = 0xc62828;

    @TempDir
    Path dir;

    private final DemoBackends backends = new DemoBackends();
    private EdgeRuntime runtime;

    @AfterEach
    void tearDown() {
        if (runtime != null) {
            runtime.close();
        }
        backends.close();
    }

    @Test
    @Requires(commands = "chromium")
    void chromiumRendersEveryServiceWithStateColoursAndEscapedText() throws Exception {
        InetSocketAddress ready = new InetSocketAddress("127.0.79.2", EdgeRuntimeTest.freePort("127.0.79.2"));
        InetSocketAddress drained = new InetSocketAddress("127.0.79.3", EdgeRuntimeTest.freePort("127.0.79.3"));
        // Nothing listens there: connects are refused until the backend is ejected.
        InetSocketAddress dead = new InetSocketAddress("127.0.79.4", EdgeRuntimeTest.freePort("127.0.79.4"));
        backends.startHttp(ready);
        backends.startHttp(drained);
        InetSocketAddress web = new InetSocketAddress(FRONT, EdgeRuntimeTest.freePort(FRONT));
        InetSocketAddress empty = new InetSocketAddress(FRONT, EdgeRuntimeTest.freePort(FRONT));
        Path file = dir.resolve("edge.yaml");
        write(
                file,
                "services:\n  - name: web\n    listen: [\"" + Addresses.key(web) + "\"]\n    backends: ["
                        + Addresses.key(ready) + ", {address: \"" + Addresses.key(drained) + "\", weight: 0}, "
                        + Addresses.key(dead) + "]\n  - name: empty\n    listen: [\"" + Addresses.key(empty)
                        + "\"]\n    backends: []\n");
        runtime = EdgeRuntime.start(EdgeRuntime.Options.defaults(file)
                .withAdmin(new InetSocketAddress("127.0.0.1", 0), null)
                .withPollInterval(Duration.ofMillis(200))
                // Ejected for longer than the test runs, so the page shows it so.
                .withProxyConfig(ProxyConfig.defaults().withEventLoops(1).withEjectionBackoff(Duration.ofMinutes(5))));

        // Bounded: at most 300 requests; Maglev sends some to the dead backend until it is ejected.
        for (int i = 0;
                i < 300 && !backendState("default/web/TCP", Addresses.key(dead)).equals("ejected");
                i++) {
            assertThat(DemoClient.httpGet(web)).isEqualTo(Addresses.key(ready));
        }
        assertThat(backendState("default/web/TCP", Addresses.key(dead))).isEqualTo("ejected");
        write(file, "services:\n  - name: \"<b id=injected>x</b>\"\n    listen: [\"" + Addresses.key(web) + "\"]\n");
        await().atMost(WAIT).until(() -> runtime.lastError() != null);

        String url = "http://" + Addresses.key(runtime.metricsAddress()) + "/";
        HeadlessChromium chromium = new HeadlessChromium(dir.resolve("chromium-profile"), List.of());
        String dom = chromium.dumpDom(url);

        assertThat(dom).contains("<meta http-equiv=\"refresh\" content=\"5\">").contains("<h1>vipd edge</h1>");
        assertThat(dom).contains("data-service=\"default/web/TCP\"").contains("data-service=\"default/empty/TCP\"");
        assertThat(dom)
                .contains(row(ready, "ready"))
                .contains(row(drained, "drained"))
                .contains(row(dead, "ejected"))
                .contains("<span class=\"badge warn\">no ready backend</span>")
                .contains("no backends: new connections are refused");
        // The refused file's error quotes the name: the browser shows it as text and builds no element from it.
        assertThat(dom).contains("&lt;b id=injected&gt;x&lt;/b&gt;").doesNotContain("id=\"injected\"");
        assertThat(dom).doesNotContain("<script").doesNotContain("<link").doesNotContain("src=");

        chromium.screenshot(url, SCREENSHOT, 1200, 900);
        BufferedImage png = ImageIO.read(SCREENSHOT.toFile());
        assertThat(pixels(png, READY_GREEN)).as("ready green pixels").isGreaterThan(CELL_PIXELS);
        assertThat(pixels(png, DRAINED_GREY)).as("drained grey pixels").isGreaterThan(CELL_PIXELS);
        assertThat(pixels(png, EJECTED_RED)).as("ejected red pixels").isGreaterThan(CELL_PIXELS);

        HttpResponse<String> curl = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Accept", "*/*")
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(curl.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(curl.body()).startsWith("vipd edge\n").contains("last reload REFUSED");
    }

    private static String row(InetSocketAddress backend, String state) {
        return "<tr class=\"backend state-" + state + "\" data-state=\"" + state + "\"><td><code>"
                + Addresses.key(backend) + "</code></td><td class=\"state\">" + state + "</td>";
    }

    @SuppressWarnings("unchecked")
    private String backendState(String service, String backend) {
        for (Map<String, Object> s :
                (List<Map<String, Object>>) runtime.servicesModel().get("services")) {
            if (s.get("name").equals(service)) {
                for (Map<String, Object> b : (List<Map<String, Object>>) s.get("backends")) {
                    if (b.get("address").equals(backend)) {
                        return (String) b.get("state");
                    }
                }
            }
        }
        return "absent";
    }

    private static int pixels(BufferedImage image, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }

    private void write(Path file, String yaml) throws IOException {
        Path tmp = dir.resolve(".edge.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
