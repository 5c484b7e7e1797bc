/**
 * What {@code vipd demo} runs besides the load balancer: small HTTP and UDP echo backends on loopback, a client
 * that talks to them through vipd like curl and nc would, and the self-test story (spread, affinity, failover,
 * UDP) that {@code vipd demo --self-test} checks.
 *
 * <p>Imports the edge composition and lb below it; only the command line imports it.
 *
 * <p>Threading: the scenario and client run on the caller's thread; each backend serves on its own threads and
 * can be stopped and restarted from the scenario's thread.
 */
package io.vipd.cli.demo;
