package io.catflap.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeClickHouseTest {
    @TempDir
    Path dir;

    @Test
    void answersVersionProbesLikeClickHouse() throws Exception {
        try (FakeClickHouse fake = FakeClickHouse.start("127.0.0.1", 0, 1 << 20)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> version = http.send(HttpRequest.newBuilder(URI.create(fake.url() + "/?query=SELECT%20version()"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, version.statusCode());
            assertEquals("18.16.1\n", version.body());
            HttpResponse<String> one = http.send(HttpRequest.newBuilder(URI.create(fake.url() + "/"))
                    .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString("SELECT 1")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("1\n", one.body());
            assertEquals(0, fake.inserts());
        }
    }

    @Test
    void ingestsEveryInsertTheHarnessSendsAndAcksIt() throws Exception {
        try (FakeClickHouse fake = FakeClickHouse.start("127.0.0.1", 0, 4 << 20)) {
            Path json = dir.resolve("r.json");
            int exit = LoadtestMain.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), System.err,
                    "-t", fake.url(), "-c", "4", "-r", "20", "--row-size", "1000", "-n", "40", "-d", "10m", "--json", json.toString());

            assertEquals(0, exit);
            assertEquals(40, fake.inserts());
            JsonReport report = new JsonReport(json);
            assertEquals(fake.insertedBytes(), report.number("row_bytes"));
            assertTrue(fake.peakInsertsInFlight() >= 1 && fake.peakInsertsInFlight() <= 4, report::toString);
        }
    }

    @Test
    void holdsThousandsOfIdleConnectionsNextToActiveOnes() throws Exception {
        try (FakeClickHouse fake = FakeClickHouse.start("127.0.0.1", 0, 0)) {
            Path json = dir.resolve("idle.json");
            int exit = LoadtestMain.run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), System.err,
                    "-t", fake.url(), "--idle", "2000", "-c", "20", "-n", "200", "-d", "10m", "--io-threads", "2", "--json", json.toString());

            assertEquals(0, exit);
            JsonReport report = new JsonReport(json);
            assertEquals(2000, report.number("idle_connected"));
            assertEquals(0, report.number("idle_closed_by_target"));
            assertEquals(200, fake.inserts());
        }
    }
}
