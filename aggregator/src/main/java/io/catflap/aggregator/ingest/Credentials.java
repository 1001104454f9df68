package io.catflap.aggregator.ingest;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * ClickHouse credentials of an HTTP request, taken the ways ClickHouse takes them: {@code X-ClickHouse-User} /
 * {@code X-ClickHouse-Key} headers, HTTP Basic auth, {@code user} / {@code password} URL parameters.
 *
 * @param user     never null
 * @param password never null (empty when none was given)
 */
public record Credentials(String user, String password) {

    /** The request's credentials, or null when it carries none (the aggregator's own are used then). */
    public static Credentials of(HttpHeaders headers, Map<String, List<String>> params) {
        String user = headers.get("X-ClickHouse-User");
        if (user != null) {
            return new Credentials(user, headers.get("X-ClickHouse-Key", ""));
        }
        String auth = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.substring(6).strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("malformed Basic authorization header");
            }
            int colon = decoded.indexOf(':');
            return colon < 0 ? new Credentials(decoded, "")
                    : new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
        List<String> u = params.get("user");
        if (u != null && !u.isEmpty()) {
            List<String> p = params.get("password");
            return new Credentials(u.get(0), p == null || p.isEmpty() ? "" : p.get(0));
        }
        return null;
    }

    @Override
    public String toString() {
        return "Credentials[user=" + user + "]";
    }
}
