package io.catflap.client.route;

import com.sun.net.httpserver.HttpServer;
import io.catflap.client.Await;
import io.catflap.client.ClientMetrics;
import io.catflap.client.JavaProcess;
import io.catflap.client.kitten.KittenDestination;
import io.catflap.client.kitten.KittenOptions;
import io.catflap.testkit.ClickHouseServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterTest {
    private EventLoopGroup group;
    private ExecutorService http;
    private ScheduledExecutorService timer;
    private SimpleMeterRegistry registry;

    @BeforeEach
    void setUp() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        http = Executors.newCachedThreadPool();
        timer = Executors.newSingleThreadScheduledExecutor();
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void tearDown() {
        timer.shutdownNow();
        http.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private Router router(String config, Duration healthCheck) {
        return new Router(RoutingConfig.parse(config),
                hp -> new KittenDestination(hp, group, http, KittenOptions.defaults(), Duration.ofHours(1)),
                timer, healthCheck, new ClientMetrics(registry));
    }

    /** Weights 50 and 100 give shares of 1/3 and 2/3; three equal servers a third each; tolerance ±3 points. */
    @Test
    void weightedChoiceFollowsTheWeights() {
        try (Router r = router("* fallback:1; t1 =a:1*50 =b:1*100; t2 =c:1*7 =d:1*7 =e:1*7;", Duration.ofHours(1))) {
            Map<String, Integer> picks = new HashMap<>();
            int n = 30_000;
            for (int i = 0; i < n; i++) {
                picks.merge(r.choose(r.config().serversFor("t1(x)")).destination().hostPort(), 1, Integer::sum);
                picks.merge(r.choose(r.config().serversFor("t2")).destination().hostPort(), 1, Integer::sum);
            }
            assertShare(picks.get("a:1"), n, 1.0 / 3);
            assertShare(picks.get("b:1"), n, 2.0 / 3);
            for (String s : new String[]{"c:1", "d:1", "e:1"}) {
                assertShare(picks.get(s), n, 1.0 / 3);
            }
            assertFalse(picks.containsKey("fallback:1"));
        }
    }

    private static void assertShare(int count, int total, double expected) {
        double share = (double) count / total;
        assertTrue(Math.abs(share - expected) < 0.03, "share " + share + " expected " + expected);
    }

    /**
     * Two servers: ClickHouse and a port nobody listens on. Inserts fail over to ClickHouse once the dead one is taken
     * out; when something answering SELECT 42 appears on the dead port, the health check puts it back.
     */
    @Test
    void deadDestinationIsTakenOutAndComesBack() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("route", "id UInt64");
        int deadPort = JavaProcess.freePort();
        String dead = "127.0.0.1:" + deadPort;
        String live = ch.host() + ":" + ch.httpPort();
        try (Router r = router("* =" + live + "*1 =" + dead + "*1;", Duration.ofMillis(200))) {
            int delivered = 0;
            for (int i = 0; i < 40; i++) {
                try {
                    r.insert(table + "(id)", false, ("(" + i + ")").getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
                    delivered++;
                } catch (Exception e) {
                    // the batches that went to the dead server before it was taken out
                }
            }
            Router.Target deadTarget = r.targets().stream().filter(t -> t.destination().hostPort().equals(dead))
                    .findFirst().orElseThrow();
            assertFalse(deadTarget.healthy());
            assertTrue(delivered >= 39, "only the first batch to the dead server may fail, delivered " + delivered);
            assertEquals(delivered, ch.count(table));
            assertEquals(0.0, registry.get("catflap.client.destination.up").tag("destination", dead).gauge().value());

            HttpServer revived = HttpServer.create(new InetSocketAddress("127.0.0.1", deadPort), 0);
            revived.createContext("/", ex -> {
                byte[] body = "42\n".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            revived.start();
            try {
                assertEquals(true, Await.until(Duration.ofSeconds(30), true, deadTarget::healthy));
                assertEquals(1.0, registry.get("catflap.client.destination.up").tag("destination", dead).gauge().value());
            } finally {
                revived.stop(0);
            }
        }
    }
}
