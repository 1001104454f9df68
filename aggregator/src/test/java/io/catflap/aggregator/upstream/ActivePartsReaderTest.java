package io.catflap.aggregator.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catflap.aggregator.select.Waits;
import io.catflap.testkit.ClickHouseServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Reading the tables' active parts and parts_to_delay_insert: the replies, and the real ClickHouse. */
class ActivePartsReaderTest {

    @Test
    void partsByTableNameAndInTheCurrentDatabaseAlsoByTheBareName() {
        String reply = "db\tevents\t140\t0\ndefault\tlogs\t12\t1\nd\\'b\tt\\\\1\t3\t0\n"
                + "tab\\there\tt\t5\t0\ndb\tcut\t1";
        assertEquals(Map.of("db.events", 140, "default.logs", 12, "logs", 12, "`d'b`.`t\\\\1`", 3),
                ActivePartsReader.fullest(reply), "no name with a control character, no line cut short");
        assertEquals(Map.of(), ActivePartsReader.fullest(""));
    }

    @Test
    void theSettingOrTheLastValue() {
        assertEquals(300, ActivePartsReader.setting("300", 150));
        assertEquals(150, ActivePartsReader.setting("", 150), "a server without the setting");
        assertEquals(150, ActivePartsReader.setting("0", 150));
    }

    @Test
    void readsTheFullestPartitionAndTheServersLimit() throws Exception {
        ClickHouseServer ch = ClickHouseServer.shared();
        String table = ch.createTable("parts", "p UInt8, v UInt32");
        ch.execute("SYSTEM STOP MERGES " + table);
        for (int i = 0; i < 3; i++) {
            ch.execute("INSERT INTO " + table + " VALUES (1, " + i + ")");   // one part each
        }
        int limit = Integer.parseInt(ch.query("SELECT value FROM system.merge_tree_settings"
                + " WHERE name = 'parts_to_delay_insert' FORMAT TSV").strip());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        UpstreamPool pool = new UpstreamPool("insert", ch.httpUrl(), null, 2, group, new SimpleMeterRegistry());
        try {
            ActivePartsReader reader = new ActivePartsReader(new UpstreamExchange(pool, ch.httpUrl(), 5_000), null,
                    null);
            Waits.until("the parts were read", () -> {
                reader.read();
                return reader.fullestPartition(table) == 3;
            });
            assertEquals(limit, reader.partsToDelayInsert());
        } finally {
            ch.execute("SYSTEM START MERGES " + table);
            pool.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
