package io.vipd.proxy;

import java.net.InetSocketAddress;

/** A UDP flow: the client's address and port, and the frontend it sent to. */
record UdpFlowKey(InetSocketAddress client, InetSocketAddress frontend) {}
