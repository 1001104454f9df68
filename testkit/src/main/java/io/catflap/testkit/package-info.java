/**
 * Test support: {@link io.catflap.testkit.ClickHouseServer#shared()} gives every integration test a real
 * ClickHouse (from {@code CLICKHOUSE_URL}, Testcontainers, or the local {@code clickhouse-server} binary started on
 * free ports), with helpers to create tables and count rows and inserts.
 */
package io.catflap.testkit;
