package io.catflap.loadtest;

import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Counts the run's rows in ClickHouse and compares them with what the target acknowledged. A row is identified by
 * {@code (host, seq)} within its table, so duplicates and losses show separately, and rows of failed requests that
 * landed anyway (a timeout after the commit) are counted on their own instead of hiding acked rows that are missing.
 */
final class Verifier {
    /** Failed requests looked up per query: keeps the query text far below ClickHouse's max_query_size. */
    private static final int RANGES_PER_QUERY = 1000;

    /**
     * One table's outcome.
     *
     * @param acked rows the target answered 200 for
     * @param unacked rows in requests that failed or got no answer
     * @param landed rows with the run's tag in ClickHouse
     * @param unique distinct {@code (host, seq)} among them
     * @param unackedLanded distinct rows of failed requests among them; -1 when there were too many failed
     *     requests to remember, and then {@link #lost()} is a lower bound
     */
    record TableCount(String table, long acked, long unacked, long landed, long unique, long unackedLanded) {
        /** Acked rows missing from ClickHouse. */
        long lost() {
            return Math.max(0, acked - (unique - Math.max(0, unackedLanded)));
        }

        long duplicated() {
            return landed - unique;
        }
    }

    private final Client clickHouse;

    Verifier(Client clickHouse) {
        this.clickHouse = clickHouse;
    }

    /**
     * Counts every table, polling until no acked row is missing or {@code waitMillis} passed: a target that acks on
     * receipt (the client daemon's in-memory mode) delivers its rows a little later.
     */
    List<TableCount> verify(Workload workload, Stats stats, long waitMillis) throws Exception {
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (true) {
            List<TableCount> counts = count(workload, stats);
            boolean complete = counts.stream().allMatch(c -> c.lost() == 0);
            if (complete || System.nanoTime() - deadline >= 0) {
                return counts;
            }
            Thread.sleep(500);
        }
    }

    private List<TableCount> count(Workload workload, Stats stats) throws Exception {
        List<TableCount> counts = new ArrayList<>();
        for (int i = 0; i < workload.tables().size(); i++) {
            String table = workload.tables().get(i);
            String[] row = query("SELECT count(), uniqExact(host, seq)", table, workload.tag(), "1").split("\t");
            List<SeqRange> failed = stats.failedRanges(i);
            long unackedLanded = failed == null ? -1 : 0;
            for (int from = 0; failed != null && from < failed.size(); from += RANGES_PER_QUERY) {
                String anyOf = failed.subList(from, Math.min(failed.size(), from + RANGES_PER_QUERY)).stream()
                        .map(SeqRange::sqlCondition).collect(Collectors.joining(" OR "));
                unackedLanded += Long.parseLong(query("SELECT uniqExact(host, seq)", table, workload.tag(), anyOf));
            }
            counts.add(new TableCount(table, stats.rowsAcked(i), stats.rowsUnacked(i), Long.parseLong(row[0]),
                    Long.parseLong(row[1]), unackedLanded));
        }
        return counts;
    }

    /**
     * INSERT queries the server has executed since it started (the {@code InsertQuery} profile event, any table):
     * read before and after a run, the difference is what the run's load cost ClickHouse in inserts.
     */
    long insertQueries() throws Exception {
        return Long.parseLong(text("SELECT sum(value) FROM system.events WHERE event = 'InsertQuery'"));
    }

    private String query(String select, String table, String tag, String condition) throws Exception {
        return text(select + " FROM " + table + " WHERE tag = " + SqlText.quote(tag) + " AND (" + condition + ")");
    }

    /** The answer as TabSeparated text: client-v2's default, RowBinaryWithNamesAndTypes, is newer than 18.16. */
    private String text(String sql) throws Exception {
        try (QueryResponse r = clickHouse.query(sql, new QuerySettings().setFormat(ClickHouseFormat.TabSeparated))
                .get()) {
            return new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }
}
