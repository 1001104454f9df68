package io.catflap.client.route;

import io.catflap.client.route.RoutingConfig.Server;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoutingConfigTest {

    /** The routing example of kittenhouse's README, verbatim. */
    @Test
    void parsesKittenhouseReadmeExample() {
        RoutingConfig c = RoutingConfig.parse("""
                # this is a comment

                # override default port with 8125 (default is 8123, ClickHouse HTTP interface)
                @target_port 8125;

                # set default cluster to be just server "clk1":
                * clk1;

                # route test_table1 to just server "clk10"
                test_table1 clk10;

                # routing to serveral servers with weights:
                # table =srv1*weight =srv2*weight =srv3*weight ...;

                # route cluster_table to server clk30 with weight 50, and to server clk40 with weight 100
                cluster_table =clk30*50 =clk40*100;
                """);
        assertEquals(List.of(new Server("clk1:8125", 0)), c.defaultRoute());
        assertEquals(Map.of(
                "test_table1", List.of(new Server("clk10:8125", 0)),
                "cluster_table", List.of(new Server("clk30:8125", 50), new Server("clk40:8125", 100))), c.tables());
        assertEquals(List.of(new Server("clk30:8125", 50), new Server("clk40:8125", 100)),
                c.serversFor("cluster_table(time,server,port)"));
        assertEquals(c.defaultRoute(), c.serversFor("other_table(a)"));
    }

    /** The example in kittenhouse's config.go comment. */
    @Test
    void parsesKittenhouseSourceExample() {
        RoutingConfig c = RoutingConfig.parse("""
                @target_port 3304;
                # Forward all unknown tables to Devel ClickHouse
                * clk1;
                test_table1 clk10;
                test_table2 clk20;

                # table =srv1*weight =srv2*weight =srv3*weight ...;
                cluster_table =clk30*50 =clk40*100;
                other_table =clk50*100 =clk60*100 =clk70*100;
                """);
        assertEquals(List.of(new Server("clk1:3304", 0)), c.defaultRoute());
        assertEquals(3, c.tables().get("other_table").size());
        assertEquals(new Server("clk20:3304", 0), c.tables().get("test_table2").get(0));
    }

    /** kittenhouse's config_test: simple config, default port 8123. */
    @Test
    void simpleConfigGetsDefaultPort() {
        assertEquals(List.of(new Server("127.0.0.1:8123", 0)), RoutingConfig.parse("* 127.0.0.1").defaultRoute());
    }

    /** kittenhouse's config_test TestParseConfig: ';' inside a comment, statements over lines, empty statements. */
    @Test
    void parsesKittenhouseTestConfig() {
        RoutingConfig c = RoutingConfig.parse("""
                @target_port 3304;
                # Forward all unknown ;tables to default host
                * default;
                table1 db1;
                table2 db1;
                table3 =db3*100
                =db4*50;;table4  =db3*100  =db4*50;
                """);
        assertEquals(List.of(new Server("default:3304", 0)), c.defaultRoute());
        assertEquals(List.of(new Server("db1:3304", 0)), c.tables().get("table1"));
        assertEquals(List.of(new Server("db1:3304", 0)), c.tables().get("table2"));
        List<Server> weighted = List.of(new Server("db3:3304", 100), new Server("db4:3304", 50));
        assertEquals(weighted, c.tables().get("table3"));
        assertEquals(weighted, c.tables().get("table4"));
    }

    /** kittenhouse's config_test TestBadParseConfig, with its messages. */
    @Test
    void rejectsWhatKittenhouseRejects() {
        needError("", "No default section");
        needError("@target_port 0;\n* default;\n", "must be in range");
        needError("@target_port 65536;\n* default;\n", "must be in range");
        needError("* default extra columns;\n", "Expected '=' as first character");
        needError("* =*100 =db2*50;\n", "Expected format '=host*weight'");
        needError("* =db1* =db2*50;\n", "Expected format '=host*weight'");
        needError("* =db1*N =db2*50;\n", "Could not parse weight");
        needError("* =db1**100 =db2*50;\n", "Could not parse weight");
        needError("* default;\n* another_default;", "Duplicate default");
        needError("@something 0;\n* default;\n", "Unsupported option");
        needError("* default;\ntable1 db1;\ntable1 db2;", "Duplicate table");
        needError("* default;\ntable1 default;\ntable1 db2;", "cannot have any custom tables");
    }

    @Test
    void explicitPortsAndHashes() {
        RoutingConfig a = RoutingConfig.parse("* 10.0.0.1:8124;");
        assertEquals("10.0.0.1:8124", a.defaultRoute().get(0).hostPort());
        assertEquals(a.hash(), RoutingConfig.parse("* 10.0.0.1:8124;").hash());
        assertNotEquals(a.hash(), RoutingConfig.parse("* 10.0.0.2:8124;").hash());
    }

    private static void needError(String conf, String substring) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RoutingConfig.parse(conf),
                conf);
        assertTrue(e.getMessage().contains(substring), "'" + e.getMessage() + "' should contain '" + substring + "'");
    }
}
