package io.catflap.aggregator.ingest;

import io.catflap.aggregator.batch.BatchKey;
import io.catflap.aggregator.batch.InsertFormat;
import io.catflap.protocol.FrameCodec;
import io.catflap.protocol.Kitten;
import io.catflap.protocol.RequestFrame;
import io.catflap.protocol.RequestFrameDecoder;
import io.catflap.protocol.TableSpec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Decoding KITTEN request frames as a connection does, per frame: the codec alone, the codec plus the table string
 * parsed into a batch key (what a frame costs before its rows are appended when its table string differs from the
 * connection's previous frame), and a chunk of frames through
 * the pipeline's {@link RequestFrameDecoder}.
 *
 * <pre>{@code
 * mvn -pl aggregator -Pjmh package
 * java -jar aggregator/target/benchmarks.jar KittenFrameDecodeBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class KittenFrameDecodeBenchmark {
    private static final int FRAMES_PER_CHUNK = 16;

    /** VALUES rows per frame body. */
    @Param({"1", "100"})
    int rows;

    private ByteBuf frame;
    private ByteBuf chunk;
    private EmbeddedChannel channel;

    @Setup
    public void setUp() {
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            values.append(i == 0 ? "" : ",").append("(1700000000,'web-042.example.org',").append(i).append(')');
        }
        ByteBuf body = Unpooled.copiedBuffer(values, StandardCharsets.UTF_8);
        frame = Unpooled.directBuffer();
        FrameCodec.encodeRequest(0, "db.events(ts,host,v)", body, frame);
        chunk = Unpooled.directBuffer();
        for (int i = 0; i < FRAMES_PER_CHUNK; i++) {
            FrameCodec.encodeRequest(0, "db.events(ts,host,v)", body, chunk);
        }
        body.release();
        channel = new EmbeddedChannel(new RequestFrameDecoder(Kitten.DEFAULT_MAX_BODY_BYTES));
    }

    @TearDown
    public void tearDown() {
        frame.release();
        chunk.release();
        channel.finishAndReleaseAll();
    }

    private RequestFrame decodeOne() {
        frame.readerIndex(0);
        return FrameCodec.decodeRequest(frame, Kitten.DEFAULT_MAX_BODY_BYTES);
    }

    @Benchmark
    public int frame() {
        RequestFrame f = decodeOne();
        int bytes = f.content().readableBytes();
        f.release();
        return bytes;
    }

    /** As {@link KittenInsertDecoder} does for a frame whose table string is new to the connection. */
    @Benchmark
    public BatchKey frameAndKey() {
        RequestFrame f = decodeOne();
        BatchKey key = BatchKey.of(TableSpec.parse(f.table()),
                f.rowBinary() ? InsertFormat.ROW_BINARY : InsertFormat.VALUES);
        f.release();
        return key;
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES_PER_CHUNK)
    public int pipeline() {
        channel.writeInbound(chunk.retainedDuplicate());
        int bytes = 0;
        for (RequestFrame f; (f = channel.readInbound()) != null; ) {
            bytes += f.content().readableBytes();
            f.release();
        }
        return bytes;
    }
}
