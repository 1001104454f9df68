package io.catflap.client.persist;

/**
 * A place in a table stream: a segment's sequence number and a byte offset in that segment's file. Offset 0 means
 * "before the segment header"; a position whose segment no longer exists means the start of the next one.
 */
record Position(long segment, long offset) implements Comparable<Position> {

    static final Position START = new Position(0, 0);

    @Override
    public int compareTo(Position o) {
        int c = Long.compare(segment, o.segment);
        return c != 0 ? c : Long.compare(offset, o.offset);
    }

    boolean isBefore(Position o) {
        return compareTo(o) < 0;
    }

    @Override
    public String toString() {
        return segment + ":" + offset;
    }
}
