package io.vipd.proxy;

import java.net.InetSocketAddress;

/**
 * One access log line: a TCP connection or UDP flow that ended. Built on the event loop that served it and
 * formatted on the access log's own thread.
 *
 * @param startMillis    when it started, epoch milliseconds
 * @param durationMillis how long it lasted
 * @param client         the client's address, the one a PROXY header gave if the service accepts one
 * @param frontend       the listen address it arrived at
 * @param service        the service port's name, or "" when no service took it
 * @param backend        the backend's ip:port, or "" when none was connected
 * @param bytesIn        client to backend
 * @param bytesOut       backend to client
 * @param retries        backend connect attempts after the first
 */
public record AccessLogEntry(
        long startMillis,
        long durationMillis,
        InetSocketAddress client,
        InetSocketAddress frontend,
        String service,
        String backend,
        long bytesIn,
        long bytesOut,
        AccessLogResult result,
        int retries) {}
