package io.catflap.aggregator.ingest;

import io.catflap.protocol.TableSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Bearer tokens and the tables each may insert into. File format, one token per line:
 * <pre>
 * # token   tables: comma-separated db.table, db.* or *
 * 9f1c2e    logs.*, metrics.events
 * </pre>
 * A table without a database matches patterns without one ({@code events}, {@code *}). No file: no token needed.
 * A table loaded from a file can {@link #reload} it: handshakes and requests from then on are checked against the
 * new tokens, while a KITTEN connection keeps the tables its handshake's token was given.
 */
public final class TokenTable {
    private static final TokenTable NONE = new TokenTable(null, null);

    private final Path file;
    private volatile Map<String, Predicate<TableSpec>> tokens;

    private TokenTable(Path file, Map<String, Predicate<TableSpec>> tokens) {
        this.file = file;
        this.tokens = tokens;
    }

    /** A table that requires no token. */
    public static TokenTable none() {
        return NONE;
    }

    /** @throws IllegalArgumentException naming the bad line */
    public static TokenTable load(Path file) throws IOException {
        return new TokenTable(file, read(file));
    }

    /** @throws IllegalArgumentException naming the bad line */
    public static TokenTable parse(List<String> lines) {
        return new TokenTable(null, entries(lines));
    }

    /** The file the tokens were loaded from; empty for {@link #none()} and {@link #parse}. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * Reads {@link #file()} again.
     *
     * @throws IOException              when it cannot be read; the tokens stay as they were
     * @throws IllegalArgumentException naming the bad line; the tokens stay as they were
     */
    public void reload() throws IOException {
        tokens = read(file);
    }

    private static Map<String, Predicate<TableSpec>> read(Path file) throws IOException {
        return entries(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    private static Map<String, Predicate<TableSpec>> entries(List<String> lines) {
        Map<String, Predicate<TableSpec>> tokens = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            if (parts.length < 2 || parts[1].isBlank()) {
                throw new IllegalArgumentException("token line " + (i + 1) + ": expected '<token> <tables>'");
            }
            Predicate<TableSpec> allowed = t -> false;
            for (String pattern : parts[1].split(",")) {
                allowed = allowed.or(matcher(pattern.strip()));
            }
            tokens.put(parts[0], allowed);
        }
        return Map.copyOf(tokens);
    }

    private static Predicate<TableSpec> matcher(String pattern) {
        if (pattern.equals("*")) {
            return t -> true;
        }
        int dot = pattern.indexOf('.');
        String db = dot < 0 ? null : pattern.substring(0, dot);
        String table = pattern.substring(dot + 1);
        return t -> Objects.equals(db, t.database()) && (table.equals("*") || table.equals(t.table()));
    }

    /** Whether connections must present a token. */
    public boolean required() {
        return tokens != null;
    }

    /** The tables {@code token} may write to; empty if the token is unknown (or missing while required). */
    public Optional<Predicate<TableSpec>> access(String tokenOrNull) {
        Map<String, Predicate<TableSpec>> current = tokens;
        if (current == null) {
            return Optional.of(t -> true);
        }
        return tokenOrNull == null ? Optional.empty() : Optional.ofNullable(current.get(tokenOrNull));
    }
}
