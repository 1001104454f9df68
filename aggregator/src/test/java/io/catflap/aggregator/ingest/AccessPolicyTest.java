package io.catflap.aggregator.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catflap.protocol.TableSpec;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {
    private static final SocketAddress LAN = new InetSocketAddress("10.1.2.3", 40000);
    private static final SocketAddress WAN = new InetSocketAddress("203.0.113.9", 40000);

    private final AccessPolicy tokens = new AccessPolicy(TokenFile.parse(List.of(
            "writer logs.*", "reader logs.* read", "local logs.* read from=10.0.0.0/8")), "agg", "pw");

    private static HttpRequest get(String uri, String... headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private AccessPolicy.Decision http(AccessPolicy policy, HttpRequest r, SocketAddress from) {
        return policy.http(r.headers(), new QueryStringDecoder(r.uri()).parameters(), from);
    }

    /** Decides on {@code r} and lets it pass as a query; the refusal, or null with {@code r} rewritten. */
    private Refusal query(AccessPolicy policy, HttpRequest r, String statement) {
        AccessPolicy.Decision d = http(policy, r, LAN);
        if (d instanceof Refusal refused) {
            return refused;
        }
        return policy.query((AccessPolicy.Grant) d, r, new QueryStringDecoder(r.uri()).parameters(), statement);
    }

    @Test
    void openPolicyRunsRequestsUnderTheirOwnCredentialsElseTheAggregators() {
        AccessPolicy open = new AccessPolicy(null, "agg", "pw");
        AccessPolicy.Grant own = assertInstanceOf(AccessPolicy.Grant.class,
                http(open, get("/?query=SELECT%201", "X-ClickHouse-User", "alice"), WAN));
        assertEquals("alice", own.credentials().user());
        assertEquals(AccessPolicy.Queries.ANY, own.queries());
        AccessPolicy.Grant anonymous = assertInstanceOf(AccessPolicy.Grant.class, http(open, get("/"), WAN));
        assertFalse(anonymous.own());
        assertTrue(anonymous.tables().test(TableSpec.parse("system.users")));

        HttpRequest select = get("/?query=SELECT%201", HttpHeaderNames.AUTHORIZATION.toString(), "Bearer junk");
        assertNull(query(open, select, "SELECT 1"));
        assertEquals("agg", select.headers().get("X-ClickHouse-User"), "anonymous queries run as --user");
        assertFalse(select.headers().contains(HttpHeaderNames.AUTHORIZATION));
        assertFalse(select.uri().contains("readonly"), "open: ClickHouse alone judges the query");
    }

    @Test
    void withTokensNothingPassesWithoutAValidOne() {
        assertEquals(401, assertInstanceOf(Refusal.class, http(tokens, get("/"), LAN)).status());
        assertEquals(401, assertInstanceOf(Refusal.class, http(tokens, get("/",
                HttpHeaderNames.AUTHORIZATION.toString(), "Bearer nope"), LAN)).status());
        assertEquals(401, assertInstanceOf(Refusal.class, http(tokens, get("/",
                "X-ClickHouse-User", "default"), LAN)).status(), "ClickHouse credentials are not a token");
        assertEquals(401, assertInstanceOf(Refusal.class, http(tokens, get("/?user=default&password="), LAN))
                .status());
        assertEquals(401, assertInstanceOf(Refusal.class, tokens.kitten(null, LAN)).status());
        assertEquals(401, assertInstanceOf(Refusal.class, tokens.kitten("nope", LAN)).status());
        assertInstanceOf(AccessPolicy.Grant.class, tokens.kitten("writer", LAN));
    }

    @Test
    void aTokenIsHonouredOnlyFromItsNetworks() {
        assertInstanceOf(AccessPolicy.Grant.class, tokens.kitten("local", LAN));
        Refusal r = assertInstanceOf(Refusal.class, tokens.kitten("local", WAN));
        assertEquals(403, r.status());
        assertEquals("this token may not be used from 203.0.113.9", r.message());
        assertEquals(403, assertInstanceOf(Refusal.class, http(tokens, get("/",
                HttpHeaderNames.AUTHORIZATION.toString(), "Bearer local"), WAN)).status());
    }

    @Test
    void anInsertOnlyTokenRunsNoQuery() {
        Refusal r = query(tokens, get("/?query=SELECT%201", "Authorization", "Bearer writer"), "SELECT 1");
        assertEquals(403, r.status());
        assertEquals("forbidden_query", r.reason());
    }

    @Test
    void aReadTokenRunsReadStatementsOnlyAsTheAggregatorWithReadonlyLast() {
        for (String write : List.of("INSERT INTO logs.t SELECT 1", "INSERT INTO FUNCTION file('x') SELECT 1",
                "KILL QUERY WHERE 1", "SYSTEM FLUSH LOGS", "DROP TABLE logs.t", "SET readonly = 0", "(SELECT 1)")) {
            assertEquals(403, query(tokens, get("/", "Authorization", "Bearer reader"), write).status(), write);
        }
        HttpRequest r = get("/?readonly=0&query=SELECT%201", "Authorization", "Bearer reader");
        assertEquals("forbidden_setting", query(tokens, r, "SELECT 1").reason(), "readonly is the aggregator's");
        r = get("/?max_memory_usage=0&query=SELECT%201", "Authorization", "Bearer reader");
        assertTrue(query(tokens, r, "SELECT 1").message().contains("max_memory_usage"));

        r = get("/?query=SELECT%20count()%20FROM%20t&quota_key=k&default_format=JSON",
                "Authorization", "Bearer reader", "X-ClickHouse-Database", "logs");
        assertNull(query(tokens, r, "/* why */ select count() FROM t"));
        assertEquals("/?query=SELECT%20count%28%29%20FROM%20t&default_format=JSON&database=logs&readonly=1", r.uri());
        assertEquals(HttpMethod.POST, r.method(), "a GET would be readonly=2 upstream: table functions allowed");
        assertEquals("agg", r.headers().get("X-ClickHouse-User"));
        assertEquals("pw", r.headers().get("X-ClickHouse-Key"));
        assertFalse(r.headers().contains(HttpHeaderNames.AUTHORIZATION), "the token stays here");
    }

    @Test
    void insertsUnderTheAggregatorsCredentialsSetOnlyAllowedSettings() {
        AccessPolicy.Grant writer = assertInstanceOf(AccessPolicy.Grant.class, tokens.kitten("writer", LAN));
        assertNull(writer.refuseInsertParameters(Map.of("query", List.of("INSERT INTO t VALUES"),
                "date_time_input_format", List.of("best_effort"), "quota_key", List.of("k"),
                "input_format_values_interpret_expressions", List.of("0"))), "asking for what is forced is fine");
        for (String bad : List.of("input_format_values_interpret_expressions",
                "input_format_values_deduce_templates_of_expressions", "max_insert_block_size",
                "input_format_allow_errors_ratio", "insert_deduplication_token", "session_id", "readonly",
                "profile")) {
            Refusal r = writer.refuseInsertParameters(Map.of("query", List.of("INSERT INTO t VALUES"),
                    bad, List.of("1")));
            assertEquals(400, r.status(), bad);
            assertTrue(r.message().contains("'" + bad + "'"), r.message());
        }
        assertEquals(403, writer.refuseTable(TableSpec.parse("metrics.t"), false).status());
        assertNull(writer.refuseTable(TableSpec.parse("logs.t"), false));
    }

    @Test
    void pingIsOpenAndGoesUpstreamBare() {
        HttpRequest ping = get("/ping?password=x", "Authorization", "Bearer reader");
        assertTrue(AccessPolicy.isPing(ping));
        AccessPolicy.stripForPing(ping);
        assertEquals("/ping", ping.uri());
        assertFalse(ping.headers().contains(HttpHeaderNames.AUTHORIZATION));
        assertFalse(AccessPolicy.isPing(get("/ping/../?query=SELECT%201")));
    }
}
