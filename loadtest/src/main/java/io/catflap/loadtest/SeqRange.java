package io.catflap.loadtest;

/** The rows of one insert request: {@code count} consecutive sequence numbers of one host. */
record SeqRange(int host, long firstSeq, int count) {
    /** A ClickHouse condition matching exactly these rows (within the run's tag). */
    String sqlCondition() {
        return "(host = " + Integer.toUnsignedString(host) + " AND seq >= " + firstSeq + " AND seq < "
                + (firstSeq + count) + ")";
    }
}
