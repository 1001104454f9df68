package io.catflap.aggregator.ingest;

import io.catflap.protocol.TableSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The token file: bearer tokens and what each grants. One token per line, then its grants, separated by spaces or
 * commas:
 * <pre>
 * # token                             grants
 * 6d1f0c9a4b2e8d7f3a5c1e9b0d2f4a6c    logs.*, metrics.events
 * 9a4c2e7f1b3d5a8c0e6f2d4b7a9c1e3f    logs.* read from=10.0.0.0/8 from=192.168.1.7
 * </pre>
 * A grant is one of
 * <ul>
 *   <li>a table the token may insert into: {@code db.table}, {@code db.*}, {@code table} or {@code *} (names without
 *       a database are the upstream user's default database, so {@code events} does not match {@code db.events});
 *       names are compared exactly, as ClickHouse resolves them: case, and every code point, count;</li>
 *   <li>{@code read}: the token may also run read-only queries;</li>
 *   <li>{@code from=ADDRESS[/PREFIX]}: the token is honoured only from these client addresses (any number of them;
 *       none: from anywhere).</li>
 * </ul>
 * A line grants at least a table or {@code read}. A table named {@code read} is written with its database.
 *
 * <p>Tokens are kept only as SHA-256 digests, and a presented token is found by its digest and compared with
 * {@link MessageDigest#isEqual}: the time a lookup takes says nothing about how much of a token was right.
 */
public final class TokenFile {
    private static final Pattern SEPARATORS = Pattern.compile("[\\s,]+");
    private static final HexFormat HEX = HexFormat.of();

    /**
     * What one token grants.
     *
     * @param tables which tables it may insert into
     * @param read   whether it may run read-only queries
     * @param from   the client networks it is honoured from; empty: everywhere
     */
    record Token(Predicate<TableSpec> tables, boolean read, List<Network> from) {
        Token {
            from = List.copyOf(from);
        }

        /** Whether a client at {@code address} (null: unknown) may use the token. */
        boolean allowedFrom(InetAddress address) {
            return from.isEmpty() || address != null && from.stream().anyMatch(n -> n.contains(address));
        }
    }

    /** An address block in CIDR notation, {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is the whole length. */
    record Network(byte[] prefix, int bits) {
        static Network parse(String cidr) {
            int slash = cidr.indexOf('/');
            String address = slash < 0 ? cidr : cidr.substring(0, slash);
            // only literal addresses: a host name would be looked up in DNS when the file is read
            if (!address.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
                throw new IllegalArgumentException("not an IP address: " + cidr);
            }
            byte[] bytes;
            try {
                bytes = InetAddress.getByName(address).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + cidr);
            }
            int bits = slash < 0 ? bytes.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
            if (bits < 0 || bits > bytes.length * 8) {
                throw new IllegalArgumentException("prefix length out of range: " + cidr);
            }
            return new Network(bytes, bits);
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != prefix.length) {
                return false;
            }
            for (int i = 0; i < bits; i += 8) {
                int mask = 0xff << (8 - Math.min(8, bits - i)) & 0xff;
                if ((a[i / 8] & mask) != (prefix[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A token's digest and grant. */
    private record Entry(byte[] digest, Token token) {
    }

    private final Path file;
    /** Keyed by the hex SHA-256 of the token; replaced whole by {@link #reload}. */
    private volatile Map<String, Entry> tokens;

    private TokenFile(Path file, Map<String, Entry> tokens) {
        this.file = file;
        this.tokens = tokens;
    }

    /** @throws IllegalArgumentException naming the bad line */
    public static TokenFile load(Path file) throws IOException {
        return new TokenFile(file, entries(Files.readAllLines(file, StandardCharsets.UTF_8)));
    }

    /** @throws IllegalArgumentException naming the bad line */
    public static TokenFile parse(List<String> lines) {
        return new TokenFile(null, entries(lines));
    }

    /** The file the tokens were loaded from; empty for {@link #parse}. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * Reads {@link #file()} again (on SIGHUP): handshakes and requests from then on are checked against the new
     * tokens, while a KITTEN connection keeps the grant its handshake's token was given.
     *
     * @throws IOException              when it cannot be read; the tokens stay as they were
     * @throws IllegalArgumentException naming the bad line; the tokens stay as they were
     */
    public void reload() throws IOException {
        tokens = entries(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    private static Map<String, Entry> entries(List<String> lines) {
        Map<String, Entry> tokens = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = SEPARATORS.split(line);
            try {
                Token token = grants(words);
                byte[] digest = sha256(words[0]);
                if (tokens.put(HEX.formatHex(digest), new Entry(digest, token)) != null) {
                    throw new IllegalArgumentException("the token is listed twice");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("token line " + (i + 1) + ": " + e.getMessage());
            }
        }
        return Map.copyOf(tokens);
    }

    private static Token grants(String[] words) {
        Predicate<TableSpec> tables = t -> false;
        boolean anyTable = false;
        boolean read = false;
        List<Network> from = new ArrayList<>();
        for (int w = 1; w < words.length; w++) {
            String word = words[w];
            if (word.equals("read")) {
                read = true;
            } else if (word.startsWith("from=")) {
                from.add(Network.parse(word.substring("from=".length())));
            } else {
                tables = tables.or(matcher(word));
                anyTable = true;
            }
        }
        if (!anyTable && !read) {
            throw new IllegalArgumentException("expected '<token> <tables>' and/or 'read'");
        }
        return new Token(tables, read, from);
    }

    private static Predicate<TableSpec> matcher(String pattern) {
        if (pattern.equals("*")) {
            return t -> true;
        }
        int dot = pattern.indexOf('.');
        String db = dot < 0 ? null : pattern.substring(0, dot);
        String table = pattern.substring(dot + 1);
        if (table.isEmpty() || (db != null && db.isEmpty())) {
            throw new IllegalArgumentException("bad table pattern: " + pattern);
        }
        return t -> Objects.equals(db, t.database()) && (table.equals("*") || table.equals(t.table()));
    }

    /** The grant of {@code token}, or empty when it is not in the file. */
    Optional<Token> find(String token) {
        byte[] digest = sha256(token);
        Entry e = tokens.get(HEX.formatHex(digest));
        return e != null && MessageDigest.isEqual(e.digest, digest) ? Optional.of(e.token) : Optional.empty();
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
