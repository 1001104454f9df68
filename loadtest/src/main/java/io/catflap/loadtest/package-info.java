/**
 * The bundled load-test harness: many simulated hosts on a few NIO event loops sending inserts over KITTEN,
 * ClickHouse-compatible HTTP or the client daemon's local API, with delivery verified in ClickHouse and a
 * latency / CPU / memory report. Entry point: {@link io.catflap.loadtest.LoadtestMain}; the path of one request is
 * {@link io.catflap.loadtest.LoadRun} → {@link io.catflap.loadtest.RequestLoop} → {@link io.catflap.loadtest.Stats}
 * → {@link io.catflap.loadtest.Verifier} → {@link io.catflap.loadtest.RunReport}; one target's reports make a
 * {@link io.catflap.loadtest.TargetOutcome}, and several targets' outcomes a {@link io.catflap.loadtest.Comparison}.
 */
package io.catflap.loadtest;
