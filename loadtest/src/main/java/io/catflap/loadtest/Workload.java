package io.catflap.loadtest;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What each request carries: rows for one of the tables (round-robin per host), or now and then a SELECT.
 *
 * @param tables qualified table names, {@code db.table}
 * @param selectShare fraction of requests that are SELECTs, 0..1
 */
record Workload(RowGenerator rows, List<String> tables, int rowsPerRequest, double selectShare, String tag) {
    private static final String COLUMN_LIST = "(" + RowGenerator.COLUMNS.replace(" ", "") + ")";

    boolean nextIsSelect() {
        return selectShare > 0 && ThreadLocalRandom.current().nextDouble() < selectShare;
    }

    /** A small query that reads the run's own rows, so it touches real data without scanning other runs. */
    String selectSql(int table) {
        return "SELECT count(), max(seq) FROM " + tables.get(table) + " WHERE tag = " + SqlText.quote(tag) + " FORMAT TSV";
    }

    /** {@code db.t(tag,host,seq,ts,payload)}: the table as the KITTEN frame and the local API name it. */
    String tableWithColumns(int table) {
        return tables.get(table) + COLUMN_LIST;
    }

    String insertSql(int table) {
        return "INSERT INTO " + tables.get(table) + " (" + RowGenerator.COLUMNS + ") FORMAT " + rows.format().clickHouseName();
    }
}
