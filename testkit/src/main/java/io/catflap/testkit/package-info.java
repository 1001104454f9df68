/**
 * Test support: {@link io.catflap.testkit.ClickHouseServer#shared()} gives every integration test a real
 * ClickHouse (from {@code CLICKHOUSE_URL}, Testcontainers, or the local {@code clickhouse-server} binary started on
 * free ports), with helpers to create tables and count rows and inserts;
 * {@link io.catflap.testkit.ClickHouseServer#withHttps} a server of its own that also answers HTTPS, with a
 * certificate from {@link io.catflap.testkit.TestCertificates} (a test CA and the certificates it signs). Every
 * module's tests run under {@link io.catflap.testkit.LeakCheck} (a leaked buffer fails the test class) and
 * {@link io.catflap.testkit.SkipOnAbortedSetup}; processes they start run under
 * {@link io.catflap.testkit.LeakCheckedMain}.
 */
package io.catflap.testkit;
