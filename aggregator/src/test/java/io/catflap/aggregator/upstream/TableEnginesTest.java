package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.protocol.TableSpec;
import io.catflap.testkit.ClickHouseServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The engine lookup against the real ClickHouse: what it reads and how it says no. */
class TableEnginesTest {

    @Test
    void plainMergeTreeAndUnknownTablesDoNotDeduplicate() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("engine", "a UInt32");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (UpstreamPool pool = new UpstreamPool("insert", ch.httpUrl(), null, 1, group,
                new SimpleMeterRegistry())) {
            TableEngines engines = new TableEngines(new UpstreamExchange(pool, ch.httpUrl(), 30_000), null, null);
            assertFalse(engines.deduplicates(key(table)).get(30, TimeUnit.SECONDS));
            assertFalse(engines.deduplicates(key(table + "_missing")).get(30, TimeUnit.SECONDS));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static BatchKey key(String table) {
        return new BatchKey(null, null, TableSpec.parse(table), InsertFormat.VALUES, new TreeMap<>(), null);
    }
}
