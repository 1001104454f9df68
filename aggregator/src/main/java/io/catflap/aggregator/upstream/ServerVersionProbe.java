package io.catflap.aggregator.upstream;

import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the upstream for its version once ({@code SELECT version()}), so that only settings it knows are sent.
 * A failed probe (server down) is repeated on the next call; until one succeeds the version is unknown and only
 * settings every version knows are sent.
 */
public final class ServerVersionProbe {
    private static final Logger log = LoggerFactory.getLogger(ServerVersionProbe.class);

    private final UpstreamExchange http;
    private final String user;
    private final String password;
    private Promise<Optional<ServerVersion>> probe;

    public ServerVersionProbe(UpstreamExchange http, String user, String password) {
        this.http = http;
        this.user = user;
        this.password = password;
    }

    /** Completes (never fails) with the version, or empty when the server could not be asked. */
    public synchronized Future<Optional<ServerVersion>> version() {
        if (probe != null && (!probe.isDone() || probe.getNow().isPresent())) {
            return probe;
        }
        Promise<Optional<ServerVersion>> p = ImmediateEventExecutor.INSTANCE.newPromise();
        probe = p;
        http.post("/", user, password, Map.of(),
                Unpooled.copiedBuffer("SELECT version()", StandardCharsets.US_ASCII)).addListener(f -> {
            UpstreamReply r = (UpstreamReply) f.getNow();
            Optional<ServerVersion> v = Optional.empty();
            if (r.ok()) {
                try {
                    v = Optional.of(ServerVersion.parse(r.message()));
                    log.info("upstream ClickHouse version {}", v.get());
                } catch (IllegalArgumentException e) {
                    log.warn("cannot read the upstream version: {}", e.getMessage());
                }
            } else {
                log.warn("upstream version probe failed: {} {}", r.status(), r.message());
            }
            p.setSuccess(v);
        });
        return p;
    }
}
