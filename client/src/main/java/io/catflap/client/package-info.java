/**
 * The per-host client daemon, kittenhouse's local mode: apps hand rows to it over HTTP
 * ({@code POST /?table=db.t(a,b)[&rowbinary=1][&persistent=1][&debug=1]}) or UDP on the same port; it buffers them in
 * memory ({@link io.catflap.client.buffer}) or on disk ({@link io.catflap.client.persist}) and ships batches to the
 * destinations chosen by the routing config ({@link io.catflap.client.route}) over KITTEN, or ClickHouse HTTP where
 * the peer does not speak KITTEN ({@link io.catflap.client.kitten}, usable by JVM apps on its own).
 *
 * <p>The path of one row: {@link io.catflap.client.api.LocalApiHandler} or {@link io.catflap.client.api.UdpHandler}
 * → {@link io.catflap.client.Ingest} → memory buffer / persistent log / straight out (debug) →
 * {@link io.catflap.client.route.Router} → {@link io.catflap.client.kitten.KittenDestination} → aggregator.
 * {@link io.catflap.client.ClientMain} is the command line; {@code /metrics} and {@code /status} are on the admin
 * address.
 */
package io.catflap.client;
