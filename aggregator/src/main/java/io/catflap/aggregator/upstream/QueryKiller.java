package io.catflap.aggregator.upstream;

import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Ends a running query by its {@code query_id}: {@code KILL QUERY ... SYNC} with the aggregator's own credentials,
 * on a connection of the insert path, so that it never waits behind the select slot it is to free.
 */
public final class QueryKiller {
    private final UpstreamExchange http;
    private final String user;
    private final String password;

    /** @param user the aggregator's own upstream credentials */
    public QueryKiller(UpstreamExchange http, String user, String password) {
        this.http = http;
        this.user = user;
        this.password = password;
    }

    /**
     * Completes (never fails) once ClickHouse answered — with SYNC, after the query ended or when no such query
     * runs — or could not be asked within the insert timeout.
     */
    public Future<UpstreamReply> kill(String queryId) {
        String sql = "KILL QUERY WHERE query_id = " + TableLayouts.literal(queryId) + " SYNC";
        return http.post("/", user, password, Map.of(), Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8));
    }
}
