/**
 * The {@code vipd} command line (picocli): one command per way of running vipd ({@code edge}, {@code node},
 * {@code demo}, {@code plan}, {@code services}, {@code maglev}, {@code cleanup}), the forwarding flags they
 * share, kube-proxy-style flag converters, and SIGTERM/SIGINT handling. Commands parse and check flags, then
 * hand over to a composition ({@code io.vipd.edge}, {@code io.vipd.node}) and wait.
 *
 * <p>The top of the arrows: it may import every other vipd package (except bench), and none imports it.
 *
 * <p>Threading: commands run on the main thread; a termination signal completes a future from the JVM's
 * signal thread, and the main thread then drains and exits. Options are plain fields filled in by picocli
 * before {@code call()}.
 */
package io.vipd.cli;
