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
 */
package io.catflap.client.kitten;
