package io.catflap.aggregator.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ProxyHeadersTest {

    private static HttpRequest client() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/?query=SELECT%201");
        r.headers().set("X-Forwarded-For", "1.2.3.4").set("Connection", "keep-alive, X-Hop").set("X-Hop", "x")
                .set("Expect", "100-continue").set("X-ClickHouse-User", "alice");
        return r;
    }

    @Test
    void clickHouseLearnsTheClientsAddressAndNothingTheClientClaims() {
        HttpRequest up = ProxyHeaders.toUpstream(client(), client().uri(), "ch:8123",
                new InetSocketAddress("10.9.8.7", 5555));
        assertEquals("10.9.8.7", up.headers().get("X-Forwarded-For"));
        assertEquals("ch:8123", up.headers().get("Host"));
        assertEquals("alice", up.headers().get("X-ClickHouse-User"));
        assertFalse(up.headers().contains("X-Hop"), "named in Connection: hop-by-hop");
        assertFalse(up.headers().contains("Expect"));
    }

    @Test
    void anAddressThatIsNoIpAddressIsNotForwarded() {
        HttpRequest up = ProxyHeaders.toUpstream(client(), client().uri(), "ch",
                new EmbeddedChannel().remoteAddress());
        assertFalse(up.headers().contains("X-Forwarded-For"));
    }
}
