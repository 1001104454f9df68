package io.catflap.loadtest;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Where the load goes: {@code kitten://HOST:PORT} (KITTEN/MEOW frames), {@code http://HOST:PORT}
 * (ClickHouse-compatible HTTP INSERTs) or {@code local://HOST:PORT} (the client daemon's kittenhouse-style API;
 * {@code local://HOST:PORT?persistent=1} for kittenhouse's disk-buffered inserts).
 * Only loopback addresses are accepted: the harness is for measuring, not for loading other machines.
 *
 * @param persistent local targets only: every insert carries {@code persistent=1}
 */
public record Target(Kind kind, String host, int port, boolean persistent) {
    public enum Kind { KITTEN, HTTP, LOCAL }

    public static Target parse(String text) {
        URI uri = URI.create(text);
        if (uri.getScheme() == null || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("target must look like kitten://HOST:PORT, http://HOST:PORT or "
                    + "local://HOST:PORT[?persistent=1]: " + text);
        }
        Kind kind;
        try {
            kind = Kind.valueOf(uri.getScheme().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown target scheme '" + uri.getScheme() + "' (kitten, http or local)");
        }
        boolean persistent = "persistent=1".equals(uri.getQuery());
        if (uri.getQuery() != null && !(persistent && kind == Kind.LOCAL)) {
            throw new IllegalArgumentException("the only query a target takes is ?persistent=1, on local:// targets: "
                    + text);
        }
        requireLoopback(uri.getHost());
        return new Target(kind, uri.getHost(), uri.getPort(), persistent);
    }

    /** Refuses anything that does not resolve to a loopback address. */
    static void requireLoopback(String host) {
        try {
            if (!isLoopback(host)) {
                throw new IllegalArgumentException("load traffic goes to loopback addresses only, not " + host);
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host, e);
        }
    }

    /** Whether {@code host} (a name, or an address literal, IPv6 in brackets or not) resolves to a loopback address. */
    static boolean isLoopback(String host) throws UnknownHostException {
        return InetAddress.getByName(host).isLoopbackAddress();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(Locale.ROOT) + "://" + host + ":" + port + (persistent ? "?persistent=1" : "");
    }
}
