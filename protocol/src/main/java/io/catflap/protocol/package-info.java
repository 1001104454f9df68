/**
 * The KITTEN/MEOW protocol of VK kittenhouse, with catflap's backward-compatible extensions: handshake
 * ({@link io.catflap.protocol.Handshake}, {@link io.catflap.protocol.HandshakeReply}), frames
 * ({@link io.catflap.protocol.FrameCodec} and its Netty handlers, {@link io.catflap.protocol.KittenStreams}
 * for blocking code), LZ4 bodies ({@link io.catflap.protocol.Lz4Body}) and table strings
 * ({@link io.catflap.protocol.TableSpec}). No server logic lives here. The wire format, with golden byte
 * vectors, is in this module's README.
 */
package io.catflap.protocol;
