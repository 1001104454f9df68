package io.catflap.client.kitten;

import java.io.IOException;

/**
 * The peer accepted the TCP connection but did not answer the KITTEN handshake with MEOW (a ClickHouse HTTP port, an
 * nginx, an old proxy): talk plain ClickHouse HTTP to it instead.
 */
public final class KittenUnsupportedException extends IOException {

    public KittenUnsupportedException(String message) {
        super(message);
    }
}
