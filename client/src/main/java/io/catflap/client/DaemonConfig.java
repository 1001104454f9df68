package io.catflap.client;

import io.catflap.client.kitten.KittenOptions;
import io.catflap.client.persist.PersistOptions;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the daemon needs, as given on the command line ({@link ClientMain} documents each option).
 *
 * @param routingFile null: every table goes to {@code defaultAddress}
 * @param persist     its {@code maxSendSize} ({@code --max-send-size}) also bounds batches from the memory buffers
 * @param admin       null: no admin server
 */
public record DaemonConfig(String host, int port, String defaultAddress, Path routingFile, Path dir,
                           PersistOptions persist, InetSocketAddress admin, KittenOptions kitten, long bufferBytes,
                           long maxMemoryBytes, Duration healthCheckInterval, Duration kittenRecheckInterval) {
}
