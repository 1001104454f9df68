package io.catflap.loadtest;

/**
 * What one measured run cost the ClickHouse it was verified in.
 *
 * @param inserts INSERT queries ClickHouse executed during the run (its {@code InsertQuery} profile event)
 * @param server its server process, sampled over the run, or null when it was not found on this machine
 */
record ClickHouseCost(long inserts, ProcSampler server) {
    /** ClickHouse's CPU time per INSERT query; null when its process was not sampled or it executed none. */
    Double cpuMillisPerInsert() {
        return server == null || inserts == 0 ? null : 1000 * server.cpuSeconds() / inserts;
    }
}
