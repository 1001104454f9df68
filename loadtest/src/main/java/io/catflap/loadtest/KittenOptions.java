package io.catflap.loadtest;

/**
 * How KITTEN connections present themselves.
 *
 * @param token bearer token for the handshake (catflap extension), or null for kittenhouse's plain handshake
 * @param lz4 send LZ4-compressed bodies (catflap extension flag 0x02)
 */
record KittenOptions(String token, boolean lz4) {}
