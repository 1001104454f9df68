package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catflap.testkit.ClickHouseServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RowGeneratorTest {
    /** A tag that needs escaping in every format. */
    private static final String TAG = "run 'one' \\ \"two\"";
    private static final long TS = 1_700_000_000L;

    @Test
    void rowBinaryLayoutIsStringUInt32UInt64DateTimeString() {
        RowGenerator g = new RowGenerator(RowFormat.ROWBINARY, "t", 1);
        ByteBuf out = Unpooled.buffer();
        try {
            g.write(out, 7, 9, 1, TS);
            byte[] bytes = ByteBufUtil.getBytes(out);
            assertEquals(1 + 1 + 4 + 8 + 4 + 1 + 1, bytes.length);
            assertArrayEquals(new byte[] {1, 't', 7, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0}, Arrays.copyOf(bytes, 14));
            assertArrayEquals(new byte[] {0x00, (byte) 0xF1, 0x53, 0x65}, Arrays.copyOfRange(bytes, 14, 18)); // 1700000000 LE
            assertEquals(1, bytes[18]); // payload of at least one byte
        } finally {
            out.release();
        }
    }

    @Test
    void valuesRowsAreCommaSeparatedTuplesWithEscapedTag() {
        RowGenerator g = new RowGenerator(RowFormat.VALUES, "a'b", 1);
        ByteBuf out = Unpooled.buffer();
        try {
            g.write(out, 1, 5, 2, TS);
            String text = out.toString(StandardCharsets.UTF_8);
            assertEquals("('a\\'b',1,5,'1700000000','", text.substring(0, text.indexOf("','", 20) + 3));
            assertEquals(2, text.split("\\),\\(").length);
        } finally {
            out.release();
        }
    }

    @ParameterizedTest
    @EnumSource(RowFormat.class)
    void clickHouseStoresExactlyTheGeneratedRows(RowFormat format) throws Exception {
        ClickHouseServer server = ClickHouseServer.shared();
        String table = server.createTable("rowgen", RowGenerator.COLUMNS_DDL);
        RowGenerator g = new RowGenerator(format, TAG, 300);
        ByteBuf body = Unpooled.buffer();
        byte[] bytes;
        try {
            g.write(body, (int) 4_000_000_000L, 100, 250, TS); // a UInt32 host above Integer.MAX_VALUE
            bytes = ByteBufUtil.getBytes(body);
        } finally {
            body.release();
        }
        Workload w = new Workload(g, List.of(table), 250, 0, TAG);
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(server.httpUrl() + "/?query=" + HttpSession.urlEncode(w.insertSql(0))))
                        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("250\t1\t4000000000\t100\t349\t1700000000\t1\n", server.query(
                "SELECT count(), uniqExact(tag), min(host), min(seq), max(seq), toUnixTimestamp(min(ts)), "
                        + "uniqExact(length(payload)) FROM "
                        + table + " WHERE tag = " + SqlText.quote(TAG) + " FORMAT TSV"));
    }
}
