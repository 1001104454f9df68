package io.catflap.aggregator.ingest;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** The intake protocols of the data port, as {@code protocol} tags of the metrics name them. */
public enum Protocol {
    KITTEN("kitten"),
    HTTP("http");

    private final String label;

    Protocol(String label) {
        this.label = label;
    }

    /** The {@code protocol} tag. */
    public String label() {
        return label;
    }

    /**
     * Who sends on a connection with this remote address, as far as the aggregator can tell, for the
     * {@link Quarantine}. KITTEN: the connection (address and port). A KITTEN client keeps one long-lived connection
     * per aggregator and multiplexes its host's applications over it, so the connection is the narrowest sender
     * there is, and several clients behind one address (NAT, containers) stay apart. A client that reconnects is a
     * new sender: it may send bad rows again, once, before it is quarantined again. HTTP: the client's IP address
     * without the port, since HTTP clients open connections freely and a port would let a sender shed its
     * quarantine with every new one; clients behind one proxy or NAT address are then quarantined together, which
     * costs them batching for a while, never their rows. A connection without a remote address is its own sender.
     */
    Object sender(Channel connection) {
        SocketAddress remote = connection.remoteAddress();
        if (remote == null) {
            return connection.id();
        }
        return this == HTTP && remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress() : remote;
    }
}
