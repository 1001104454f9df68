package io.catflap.loadtest;

/**
 * One simulated sender. It outlives its connection (a reconnect keeps the host id and sequence), so that
 * {@code (host, seq)} stays unique per table for the whole run. Used by one channel at a time.
 */
final class SimulatedHost {
    final int id;
    private long nextSeq;
    private int nextTable;

    SimulatedHost(int id) {
        this.id = id;
        this.nextTable = id;
    }

    /** Reserves {@code rows} sequence numbers and returns the first. */
    long takeSeq(int rows) {
        long first = nextSeq;
        nextSeq += rows;
        return first;
    }

    int nextTable(int tables) {
        return Math.floorMod(nextTable++, tables);
    }
}
