/** kittenhouse's in-memory mode: capped per-table buffers flushed every 1–3 s with backoff on errors. */
package io.catflap.client.buffer;
