package io.catflap.client.kitten;

import io.catflap.protocol.Kitten;
import io.catflap.protocol.KittenStreams;
import io.catflap.protocol.Lz4Body;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.ResponseFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A scripted KITTEN server, for faults only (the other library tests use the real aggregator): it drops connections on
 * demand, answers as slowly as {@code answer} returns, answers every request with an error, or plays kittenhouse's own
 * server, which is not at hand. Blocking, a thread per connection; records handshakes and requests.
 */
final class TinyKittenServer implements AutoCloseable {
    /** A request as received, body decompressed; {@code key} is its idempotency key in hex, or null. */
    record Received(int flags, String table, String body, String key) {
    }

    private final ServerSocket server;
    private final Function<Received, ResponseFrame> answer;
    private final String handshakeReply;
    final List<String> handshakes = new CopyOnWriteArrayList<>();
    final List<Received> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** Answers the handshake with MEOW. */
    static TinyKittenServer meowing(Function<Received, ResponseFrame> answer) throws IOException {
        return new TinyKittenServer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nMEOW", answer);
    }

    /** Answers the handshake with this raw reply (e.g. what an HTTP server says to an unknown method). */
    static TinyKittenServer replying(String handshakeReply) throws IOException {
        return new TinyKittenServer(handshakeReply, r -> ResponseFrame.OK);
    }

    private TinyKittenServer(String handshakeReply, Function<Received, ResponseFrame> answer) throws IOException {
        this.handshakeReply = handshakeReply;
        this.answer = answer;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "tiny-kitten-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String hostPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Drops every open connection (the server keeps accepting). */
    void dropConnections() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s), "tiny-kitten-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = new BufferedOutputStream(s.getOutputStream());
            handshakes.add(readHead(in));
            out.write(handshakeReply.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (!handshakeReply.endsWith("MEOW")) {
                return;
            }
            RequestFrame frame;
            while ((frame = KittenStreams.readRequest(in, Kitten.DEFAULT_MAX_BODY_BYTES)) != null) {
                Received r;
                try {
                    byte[] key = frame.idempotencyKey();
                    r = new Received(frame.flags(), frame.table(), body(frame),
                            key == null ? null : HexFormat.of().formatHex(key));
                } finally {
                    frame.release();
                }
                requests.add(r);
                KittenStreams.writeResponse(out, answer.apply(r));
                out.flush();
            }
        } catch (IOException e) {
            // connection dropped
        }
    }

    private static String body(RequestFrame frame) {
        if (!frame.lz4()) {
            return frame.content().toString(StandardCharsets.UTF_8);
        }
        ByteBuf raw = Lz4Body.decompress(frame.content(), Kitten.DEFAULT_MAX_BODY_BYTES, ByteBufAllocator.DEFAULT);
        try {
            return new String(ByteBufUtil.getBytes(raw), StandardCharsets.UTF_8);
        } finally {
            raw.release();
        }
    }

    /** Reads up to and including the empty line. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            head.write(c);
            String s = head.toString(StandardCharsets.US_ASCII);
            if (s.endsWith("\n\n") || s.endsWith("\r\n\r\n")) {
                return s;
            }
        }
        throw new IOException("eof in handshake");
    }

    @Override
    public void close() throws IOException {
        server.close();
        dropConnections();
    }
}
