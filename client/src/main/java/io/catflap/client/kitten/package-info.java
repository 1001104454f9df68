/**
 * A KITTEN/MEOW client library for JVM applications, also the daemon's own transport.
 *
 * <pre>{@code
 * EventLoopGroup group = NettyTransport.CURRENT.group(1);   // or any NIO or epoll group
 * KittenClient kitten = new KittenClient(group, new InetSocketAddress("agg1", 8124),
 *         KittenOptions.defaults().withBearerToken(token).withLz4(true));
 * kitten.send("db.events(ts,host,v)", false, "(now(),'h1',1),(now(),'h1',2)".getBytes(UTF_8))
 *       .whenComplete((ack, err) -> ...);   // ack: the rows are committed in ClickHouse
 * }</pre>
 *
 * {@link io.catflap.client.kitten.KittenClient} is one pipelined connection (see there for why);
 * {@link io.catflap.client.kitten.KittenDestination} adds kittenhouse's fallback to plain ClickHouse HTTP
 * ({@link io.catflap.client.kitten.ClickHouseHttp}) for peers that do not answer MEOW.
 *
 * <p>The fallback uses the JDK's HTTP client, not clickhouse-java's client-v2: forwarded SELECTs must pass on their
 * URL parameters, status and body as they come, which client-v2 (SQL in, exceptions out) cannot, so client-v2 would
 * be a second HTTP stack in the sidecar for inserts alone (measured with the deployed JVM options: +6 MB RSS, 97 to
 * 103 MB, and +9.5 MB of jar), taking TLS as files instead of the {@code SSLContext} that KITTEN shares.
 */
package io.catflap.client.kitten;
