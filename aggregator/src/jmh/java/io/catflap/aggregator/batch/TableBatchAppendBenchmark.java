package io.catflap.aggregator.batch;

import io.catflap.protocol.TableSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoop;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The batching step of one request: a small VALUES or RowBinary body copied into the open batch of its key, as
 * {@link Batcher#submit} (key lookup, row bound, append) and as {@link TableBatch#append} alone. Sealed 1 MiB
 * batches are answered and released at once, so sealing and the flush timer are in the figure, upstream is not.
 *
 * <pre>{@code
 * mvn -pl aggregator -Pjmh package
 * java -jar aggregator/target/benchmarks.jar TableBatchAppendBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class TableBatchAppendBenchmark {
    private static final Ack IGNORE = result -> { };

    /** Rows per request body. */
    @Param({"1", "10"})
    int rows;

    @Param({"VALUES", "ROW_BINARY"})
    String format;

    private DefaultEventLoop timer;
    private Batcher batcher;
    private TableBatch table;
    private BatchKey key;
    private ByteBuf body;
    private long bodyRows;

    @Setup
    public void setUp() {
        boolean values = format.equals("VALUES");
        key = BatchKey.of(TableSpec.parse("db.events(ts,host,v)"), values ? InsertFormat.VALUES
                : InsertFormat.ROW_BINARY);
        body = Unpooled.directBuffer();
        for (int i = 0; i < rows; i++) {
            if (values) {
                body.writeBytes(((i == 0 ? "" : ",") + "(1700000000,'web-042.example.org'," + i + ")")
                        .getBytes(StandardCharsets.UTF_8));
            } else {
                body.writeIntLE(1_700_000_000);
                byte[] host = "web-042.example.org".getBytes(StandardCharsets.UTF_8);
                body.writeByte(host.length).writeBytes(host).writeLongLE(i);
            }
        }
        bodyRows = key.format().rowsUpperBound(body);
        timer = new DefaultEventLoop();
        BatchMemory memory = new BatchMemory(Long.MAX_VALUE);
        BatchWriter commitAtOnce = (batch, done) -> {
            batch.answer(0, batch.parts(), InsertResult.OK);
            done.accept(null);
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        batcher = new Batcher(1 << 20, 200, 25, ActiveParts.NONE, 50, ByteBufAllocator.DEFAULT, timer, memory,
                commitAtOnce, RowBinaryLayouts.NONE, registry, new TrackedTables(10, registry));
        long flushInterval = TimeUnit.MILLISECONDS.toNanos(200);
        table = new TableBatch(key, 1 << 20, new SealPolicy(key.tableName(), TimeUnit.MILLISECONDS.toNanos(25),
                flushInterval, ActiveParts.NONE, timer.ticker().nanoTime()), ByteBufAllocator.DEFAULT, timer, memory,
                (batch, owner) -> commitAtOnce.write(batch, e -> owner.answered(0)));
    }

    @TearDown
    public void tearDown() {
        batcher.close();
        table.flush();
        timer.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        body.release();
    }

    @Benchmark
    public void submit() {
        batcher.submit(key, body, IGNORE);
    }

    @Benchmark
    public boolean append() {
        return table.append(body, bodyRows, IGNORE);
    }
}
