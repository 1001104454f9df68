package io.catflap.client.route;

import io.catflap.client.ClientMetrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Per-table routing in kittenhouse's syntax:
 * <pre>
 * # a comment (a line whose first non-blank character is '#')
 * &#64;target_port 8125;              # port for servers given without one (default 8123)
 * * clk1;                          # the default destination: every table not listed below
 * test_table1 clk10:8124;          # one table to one server
 * cluster_table =clk30*50 =clk40*100;   # weighted: ~1/3 of batches to clk30, ~2/3 to clk40
 * </pre>
 * Statements end with {@code ;} and may span lines. Exactly one {@code *} line is required; a table may appear once;
 * the default destination's server list cannot also be used for listed tables (kittenhouse's rules and messages).
 *
 * @param defaultRoute servers for tables without their own line
 * @param tables       table name (without columns) to its servers
 * @param hash         md5 of the text, shown in the status page so operators can tell which config is live
 */
public record RoutingConfig(List<Server> defaultRoute, Map<String, List<Server>> tables, String hash) {
    private static final Pattern COMMENT = Pattern.compile("(?m)^\\s*#.*$");
    private static final int KITTENHOUSE_DEFAULT_PORT = 8123;

    /** One server of a route; weight 0 for a single server without a weight. */
    public record Server(String hostPort, int weight) {
    }

    /** The routing of kittenhouse without {@code -c}: every table to one server. */
    public static RoutingConfig single(String hostPort) {
        return parse("* " + hostPort + ";");
    }

    /** The servers for a table given as {@code db.t(a,b)} or {@code t@shard(a,b)}: the name up to '(' decides. */
    public List<Server> serversFor(String table) {
        List<Server> servers = tables.get(ClientMetrics.tableName(table));
        return servers != null ? servers : defaultRoute;
    }

    /** Every distinct server mentioned, default route first. */
    public List<String> allServers() {
        LinkedHashMap<String, Boolean> all = new LinkedHashMap<>();
        defaultRoute.forEach(s -> all.put(s.hostPort(), true));
        tables.values().forEach(list -> list.forEach(s -> all.put(s.hostPort(), true)));
        return List.copyOf(all.keySet());
    }

    /** @throws IllegalArgumentException with kittenhouse's message for the first bad statement */
    public static RoutingConfig parse(String text) {
        int port = KITTENHOUSE_DEFAULT_PORT;
        List<Server> defaultRoute = null;
        String defaultSpec = null;
        Map<String, List<Server>> tables = new LinkedHashMap<>();
        Map<String, String> specOfTable = new LinkedHashMap<>();
        for (String raw : COMMENT.matcher(text).replaceAll("").split(";")) {
            String ln = raw.strip();
            if (ln.length() <= 1 || ln.charAt(0) == '#') {
                continue;
            }
            String[] cols = ln.split("\\s+");
            if (cols.length < 2) {
                throw new IllegalArgumentException("Expected at least 2 columns (got " + cols.length + ") for line '" + ln + "'");
            }
            String action = cols[0];
            List<String> options = List.of(cols).subList(1, cols.length);
            String spec = String.join(" ", options);
            if (action.charAt(0) == '*') {
                if (defaultRoute != null) {
                    throw new IllegalArgumentException("Duplicate default server for line '" + ln + "'");
                }
                defaultRoute = servers(options, port, ln);
                defaultSpec = spec;
            } else if (action.charAt(0) == '@') {
                port = option(action.substring(1), cols, ln);
            } else {
                if (tables.containsKey(action)) {
                    throw new IllegalArgumentException("Duplicate table '" + action + "' for line '" + ln + "'");
                }
                if (spec.equals(defaultSpec)) {
                    throw new IllegalArgumentException("Default host '" + spec + "' cannot have any custom tables for line '"
                            + ln + "'");
                }
                tables.put(action, servers(options, port, ln));
                specOfTable.put(action, spec);
            }
        }
        if (defaultRoute == null) {
            throw new IllegalArgumentException("No default section found");
        }
        return new RoutingConfig(List.copyOf(defaultRoute), Map.copyOf(tables), md5(text));
    }

    private static int option(String name, String[] cols, String ln) {
        if (!name.equals("target_port")) {
            throw new IllegalArgumentException("Unsupported option '" + name + "' for line '" + ln + "'");
        }
        if (cols.length != 2) {
            throw new IllegalArgumentException("Expected exactly 2 columns (got " + cols.length + ") for line '" + ln + "'");
        }
        int port;
        try {
            port = Integer.parseInt(cols[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Bad port '" + cols[1] + "' for line '" + ln + "'");
        }
        if (port <= 0 || port >= 65536) {
            throw new IllegalArgumentException("Port must be in range [1, 65535] for line '" + ln + "'");
        }
        return port;
    }

    private static List<Server> servers(List<String> hosts, int port, String ln) {
        if (hosts.size() == 1) {
            return List.of(new Server(withPort(hosts.get(0), port), 0));
        }
        List<Server> servers = new ArrayList<>();
        for (String descr : hosts) {
            try {
                servers.add(weighted(descr, port));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Could not parse line '" + ln + "': Could not parse '" + descr + "': "
                        + e.getMessage());
            }
        }
        return servers;
    }

    /** {@code =host*weight}. */
    private static Server weighted(String arg, int port) {
        if (arg.length() < 2) {
            throw new IllegalArgumentException("Host too short");
        }
        if (arg.charAt(0) != '=') {
            throw new IllegalArgumentException("Expected '=' as first character");
        }
        String rest = arg.substring(1);
        int star = rest.indexOf('*');
        if (star <= 0 || star >= rest.length() - 1) {
            throw new IllegalArgumentException("Expected format '=host*weight'");
        }
        long weight;
        try {
            weight = Long.parseLong(rest.substring(star + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Could not parse weight: " + rest.substring(star + 1));
        }
        if (weight < 0 || weight > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Could not parse weight: out of range");
        }
        return new Server(withPort(rest.substring(0, star), port), (int) weight);
    }

    private static String withPort(String host, int port) {
        return host.contains(":") ? host : host + ":" + port;
    }

    private static String md5(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
