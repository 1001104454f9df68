package io.catflap.loadtest;

/** Body formats the harness can send; each row is {@code (tag, host, seq, ts, payload)}. */
public enum RowFormat {
    /** VALUES tuples separated by commas, without the VALUES keyword (KITTEN, local API, HTTP). */
    VALUES("Values"),
    /** ClickHouse RowBinary (KITTEN flag 0x01, local API {@code &rowbinary=1}, HTTP). */
    ROWBINARY("RowBinary"),
    /** One JSON object per line (HTTP only). */
    JSONEACHROW("JSONEachRow");

    private final String clickHouseName;

    RowFormat(String clickHouseName) {
        this.clickHouseName = clickHouseName;
    }

    /** The name after {@code FORMAT} in an INSERT. */
    public String clickHouseName() {
        return clickHouseName;
    }
}
