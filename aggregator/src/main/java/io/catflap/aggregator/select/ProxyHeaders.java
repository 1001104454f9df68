package io.catflap.aggregator.select;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * Header rewriting between the two hops of a proxied request (RFC 9110 section 7.6.1): hop-by-hop headers stay on
 * their hop, everything else — the query string, {@code Authorization}, {@code X-ClickHouse-User/Key}, the
 * {@code X-ClickHouse-Summary} of the answer — passes through as the access policy left it. ClickHouse learns the
 * client's address from {@code X-Forwarded-For} (its query log shows it). {@code Content-Length} and
 * {@code Transfer-Encoding} are kept because they frame the body that is re-encoded on the other hop.
 */
final class ProxyHeaders {
    private static final String X_FORWARDED_FOR = "X-Forwarded-For";

    private static final List<CharSequence> HOP_BY_HOP = List.of(
            HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, "proxy-connection",
            HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE);

    private ProxyHeaders() {
    }

    /**
     * The request to send upstream, for {@code uri}: HTTP/1.1 keep-alive, {@code Host} naming ClickHouse, no
     * {@code Expect} (the proxy answers {@code 100 Continue} itself once it has a connection to send the body on),
     * and {@code X-Forwarded-For} naming the client at {@code from} only: what a client says about addresses before
     * it cannot be trusted, so it is not passed on.
     */
    static HttpRequest toUpstream(HttpRequest client, String uri, String upstreamHost, SocketAddress from) {
        HttpHeaders headers = client.headers().copy();
        stripHopByHop(headers);
        headers.remove(HttpHeaderNames.EXPECT);
        headers.set(HttpHeaderNames.HOST, upstreamHost);
        if (from instanceof InetSocketAddress a && a.getAddress() != null) {
            headers.set(X_FORWARDED_FOR, a.getAddress().getHostAddress());
        } else {
            headers.remove(X_FORWARDED_FOR);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, client.method(), uri, headers);
    }

    /**
     * Adapts ClickHouse's response head for the client in place and tells whether the client connection must be
     * closed after this response: when the client asked for it, or when the body cannot be framed for it (an
     * HTTP/1.0 client cannot read chunked encoding, so the end of the body is marked by closing).
     */
    static boolean toClient(HttpResponse response, HttpVersion clientVersion, boolean clientKeepAlive) {
        HttpHeaders headers = response.headers();
        stripHopByHop(headers);
        response.setProtocolVersion(clientVersion);
        boolean close = !clientKeepAlive;
        if (HttpUtil.isTransferEncodingChunked(response) && clientVersion.equals(HttpVersion.HTTP_1_0)) {
            headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
            close = true;
        } else if (!HttpUtil.isTransferEncodingChunked(response) && !HttpUtil.isContentLengthSet(response)) {
            close = true;
        }
        if (close) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientVersion.equals(HttpVersion.HTTP_1_0)) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return close;
    }

    private static void stripHopByHop(HttpHeaders headers) {
        // Headers named in Connection are hop-by-hop too.
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : value.split(",")) {
                if (!name.isBlank()) {
                    headers.remove(name.trim());
                }
            }
        }
        HOP_BY_HOP.forEach(headers::remove);
    }
}
