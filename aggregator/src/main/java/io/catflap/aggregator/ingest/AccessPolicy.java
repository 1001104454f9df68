package io.catflap.aggregator.ingest;

import io.catflap.protocol.TableSpec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.QueryStringEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who a caller is and what it may do, decided for every KITTEN connection and every HTTP request before it takes
 * any path: merged or streamed insert, kittenhouse's {@code /?table=} form, or a query.
 *
 * <p><b>Without a token file</b> the aggregator is as open as ClickHouse is to whoever reaches it: a request with
 * ClickHouse credentials runs under them, any other request (and every KITTEN connection) under the aggregator's
 * own ({@code --user}); ClickHouse alone judges tables and queries.
 *
 * <p><b>With a token file</b> a caller is a bearer token from the file, presented from an address the token allows,
 * and nothing else: a request without a token, with an unknown one, or with ClickHouse credentials is refused 401 on
 * every path. A token's requests run under the aggregator's own credentials. It may insert into its tables only, and
 * run queries only when it grants {@code read}: statements that start with SELECT, WITH, SHOW, DESCRIBE, EXISTS or
 * EXPLAIN, sent upstream with {@code readonly=1} last, so that ClickHouse refuses anything that writes as well.
 *
 * <p>Either way {@code GET /ping} needs no credentials (ClickHouse answers it unauthenticated), and under the
 * aggregator's credentials a sender may set only the {@link SenderSettings}.
 */
public final class AccessPolicy {
    /** A database for unqualified names, as newer ClickHouse servers read it (18.16 reads only the parameter). */
    static final String DATABASE_HEADER = "X-ClickHouse-Database";
    private static final Set<String> READ_STATEMENTS = Set.of("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS",
            "EXPLAIN");
    /** Dropped under the aggregator's credentials: a sender may not choose whose quota it spends. */
    private static final Set<String> CREDENTIAL_PARAMETERS = Set.of("user", "password", "quota_key");
    private static final List<String> CREDENTIAL_HEADERS = List.of(HttpHeaderNames.AUTHORIZATION.toString(),
            "X-ClickHouse-User", "X-ClickHouse-Key", "X-ClickHouse-Quota");
    private static final Pattern BEARER = Pattern.compile("(?i)Bearer\\s+(\\S+)");
    private static final Predicate<TableSpec> EVERY_TABLE = t -> true;

    /** What a decision came to: a {@link Grant}, or a {@link Refusal} to answer with. */
    sealed interface Decision permits Grant, Refusal {
    }

    /** Which queries a caller may run. */
    enum Queries {
        /** Any, under the request's credentials (no token file). */
        ANY,
        /** Read statements, with {@code readonly=1} forced upstream. */
        READ_ONLY,
        /** None. */
        NONE
    }

    /**
     * What one caller may do.
     *
     * @param credentials the ClickHouse credentials its requests run under; null: the aggregator's own
     * @param tables      the tables it may insert into
     * @param queries     the queries it may run
     * @param token       its bearer token, or null; scopes its idempotency keys
     */
    record Grant(Credentials credentials, Predicate<TableSpec> tables, Queries queries, String token)
            implements Decision {

        /** Whether its requests run under the caller's own ClickHouse credentials. */
        boolean own() {
            return credentials != null;
        }

        /** 403 when the caller may not insert into {@code table}, else null. */
        Refusal refuseTable(TableSpec table, boolean close) {
            return tables.test(table) ? null
                    : new Refusal("forbidden_table", 403, "this token may not insert into " + table.withoutShard(),
                    close);
        }

        /** 400 naming the first of an insert's URL {@code parameters} the caller may not set, else null. */
        Refusal refuseInsertParameters(Map<String, List<String>> parameters) {
            // a caller that may run any query under the aggregator's credentials gains nothing from a session
            String bad = own() ? null : SenderSettings.refusedForInsert(parameters, queries == Queries.ANY);
            return bad == null ? null : forbiddenSetting(bad);
        }
    }

    private final TokenFile tokens;
    private final String user;
    private final String password;

    /**
     * @param tokens   the token file, or null for none
     * @param user     the aggregator's own ClickHouse user ({@code --user}), or null for ClickHouse's default user
     * @param password its password, or null
     */
    public AccessPolicy(TokenFile tokens, String user, String password) {
        this.tokens = tokens;
        this.user = user;
        this.password = password;
    }

    /** No token file, and the aggregator's requests under ClickHouse's default user. */
    public static AccessPolicy open() {
        return new AccessPolicy(null, null, null);
    }

    /** A KITTEN handshake that presented {@code bearer} (or null) from {@code from}. */
    Decision kitten(String bearer, SocketAddress from) {
        return tokens == null ? new Grant(null, EVERY_TABLE, Queries.NONE, bearer) : token(bearer, from, false);
    }

    /** An HTTP request from {@code from}, before it is known to be an insert or a query. */
    Decision http(HttpHeaders headers, Map<String, List<String>> params, SocketAddress from) {
        Credentials credentials;
        try {
            credentials = Credentials.of(headers, params);
        } catch (IllegalArgumentException e) {
            return new Refusal("bad_auth", 400, e.getMessage(), true);
        }
        if (tokens == null) {
            return new Grant(credentials, EVERY_TABLE, Queries.ANY, null);
        }
        if (credentials != null) {
            return new Refusal("bad_token", 401,
                    "Authentication required: a bearer token (ClickHouse credentials are not accepted here)", true);
        }
        String auth = headers.get(HttpHeaderNames.AUTHORIZATION);
        Matcher m = auth == null ? null : BEARER.matcher(auth);
        return token(m != null && m.matches() ? m.group(1) : null, from, true);
    }

    private Decision token(String bearer, SocketAddress from, boolean close) {
        if (bearer == null) {
            return new Refusal("bad_token", 401, "Authentication required: a bearer token", close);
        }
        Optional<TokenFile.Token> token = tokens.find(bearer);
        if (token.isEmpty()) {
            return new Refusal("bad_token", 401, "unknown bearer token", close);
        }
        InetAddress address = from instanceof InetSocketAddress a ? a.getAddress() : null;
        if (!token.get().allowedFrom(address)) {
            return new Refusal("forbidden_address", 403, "this token may not be used from "
                    + (address == null ? "an unknown address" : address.getHostAddress()), close);
        }
        return new Grant(null, token.get().tables(), token.get().read() ? Queries.READ_ONLY : Queries.NONE, bearer);
    }

    /** {@code GET /ping}: ClickHouse's liveness check, which anyone may ask. */
    static boolean isPing(HttpRequest request) {
        return (HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method()))
                && new QueryStringDecoder(request.uri()).path().equals("/ping");
    }

    /** Makes a {@link #isPing ping} go upstream without whatever credentials or token the caller sent. */
    static void stripForPing(HttpRequest request) {
        CREDENTIAL_HEADERS.forEach(request.headers()::remove);
        request.setUri("/ping");
    }

    /** The database unqualified table names are in: the {@code database} parameter, else the header, else null. */
    static String database(HttpHeaders headers, Map<String, List<String>> params) {
        List<String> db = params.get("database");
        String name = db == null || db.isEmpty() ? headers.get(DATABASE_HEADER) : db.get(0);
        return name == null || name.isEmpty() ? null : name;
    }

    /**
     * Lets a request that is not a batchable insert pass as {@code grant} allows, rewritten in place to run as
     * granted; or refuses it.
     *
     * @param statement the SQL the request starts with (its query parameter, else its body), or null for none
     * @return null when the request may pass
     */
    Refusal query(Grant grant, HttpRequest request, Map<String, List<String>> params, String statement) {
        if (grant.queries() == Queries.NONE) {
            return new Refusal("forbidden_query", 403, "this token may not run queries", true);
        }
        if (grant.queries() == Queries.READ_ONLY) {
            if (statement == null || !READ_STATEMENTS.contains(InsertHead.leadingKeyword(statement))) {
                return new Refusal("forbidden_query", 403, "this token may only run read-only queries: "
                        + String.join(", ", READ_STATEMENTS.stream().sorted().toList()), true);
            }
            String bad = SenderSettings.refusedForQuery(params);
            if (bad != null) {
                return forbiddenSetting(bad);
            }
        }
        rewrite(grant, request, params);
        return null;
    }

    /**
     * Makes {@code request} what ClickHouse must see: the database header as the {@code database} parameter; under
     * the aggregator's credentials the caller's own replaced and {@code quota_key} dropped; for a read-only grant
     * {@code readonly=1} as the last parameter (ClickHouse applies them in order, so no earlier one undoes it), on a
     * POST.
     */
    private void rewrite(Grant grant, HttpRequest request, Map<String, List<String>> params) {
        QueryStringEncoder uri = new QueryStringEncoder(new QueryStringDecoder(request.uri()).rawPath());
        params.forEach((name, values) -> {
            if (grant.own() || !CREDENTIAL_PARAMETERS.contains(name)) {
                values.forEach(v -> uri.addParam(name, v));
            }
        });
        String database = database(request.headers(), params);
        if (database != null && !params.containsKey("database")) {
            uri.addParam("database", database);
        }
        if (!grant.own()) {
            CREDENTIAL_HEADERS.forEach(request.headers()::remove);
            if (user != null) {
                request.headers().set("X-ClickHouse-User", user).set("X-ClickHouse-Key", password == null ? ""
                        : password);
            }
        }
        if (grant.queries() == Queries.READ_ONLY) {
            uri.addParam("readonly", "1");
            if (HttpMethod.GET.equals(request.method())) {
                // ClickHouse gives a GET readonly=2 before reading parameters, which then may not change it; and 2
                // allows table functions (url(), file(), remote()). As a POST the request gets the 1 it is sent.
                request.setMethod(HttpMethod.POST);
                if (!HttpUtil.isContentLengthSet(request) && !HttpUtil.isTransferEncodingChunked(request)) {
                    HttpUtil.setContentLength(request, 0);
                }
            }
        }
        request.setUri(uri.toString());
    }

    private static Refusal forbiddenSetting(String name) {
        return new Refusal("forbidden_setting", 400, "setting '" + name + "' may not be set on a request that runs "
                + "under the aggregator's credentials", true);
    }
}
