package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.aggregator.FakeClickHouse;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UpstreamPoolTest {

    @Test
    void capsConnectionsAndQueuesInOrder() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (FakeClickHouse upstream = new FakeClickHouse(r -> FakeClickHouse.Answer.ok(0));
             UpstreamPool pool = new UpstreamPool("insert", upstream.url(), null, 2, group, registry)) {
            List<Future<Channel>> acquired = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                acquired.add(pool.acquire());
            }
            Channel a = acquired.get(0).get(5, TimeUnit.SECONDS);
            Channel b = acquired.get(1).get(5, TimeUnit.SECONDS);
            assertEquals(List.of(UpstreamPool.CODEC), a.pipeline().names().subList(0, 1));
            assertEquals(2, pool.inFlight());
            assertEquals(3, pool.queued());
            assertEquals(3.0, registry.get("catflap.upstream.queued").tag("pool", "insert").gauge().value());
            assertFalse(acquired.get(2).isDone());

            pool.release(a);
            assertSame(a, acquired.get(2).get(5, TimeUnit.SECONDS), "a healthy channel is reused");
            assertFalse(acquired.get(3).isDone(), "still at most two");
            b.close().sync();
            pool.release(b);
            Channel c = acquired.get(3).get(5, TimeUnit.SECONDS);
            assertNotSame(b, c, "a closed channel is replaced");
            assertTrue(c.isActive());
            assertEquals(2, pool.inFlight());
            assertEquals(1, pool.queued());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void releasingTwiceFreesOneSlot() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (FakeClickHouse upstream = new FakeClickHouse(r -> FakeClickHouse.Answer.ok(0));
             UpstreamPool pool = new UpstreamPool("insert", upstream.url(), null, 1, group,
                     new SimpleMeterRegistry())) {
            Channel a = pool.acquire().get(5, TimeUnit.SECONDS);
            pool.release(a);
            pool.release(a);
            assertEquals(0, pool.inFlight());
            assertSame(a, pool.acquire().get(5, TimeUnit.SECONDS));
            Future<Channel> second = pool.acquire();
            assertFalse(second.await(200), "still at most one");
            pool.release(a);
            assertSame(a, second.get(5, TimeUnit.SECONDS));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void unreachableUpstreamFailsTheAcquire() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (UpstreamPool pool = new UpstreamPool("select", URI.create("http://127.0.0.1:" + port), null, 1, group,
                new SimpleMeterRegistry())) {
            Future<Channel> f = pool.acquire().await();
            assertFalse(f.isSuccess());
            assertEquals(0, pool.inFlight());
            assertEquals(0, pool.queued());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
