package io.catflap.testkit;

import java.net.URI;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.clickhouse.ClickHouseContainer;

/**
 * ClickHouse in a Testcontainers container, for machines with a Docker engine. Kept apart from
 * {@link ClickHouseServer} so that Testcontainers is only loaded when neither {@code CLICKHOUSE_URL} is set nor
 * asked to be skipped.
 */
final class ContainerClickHouse implements AutoCloseable {

    /** A current LTS release; override with {@code -Dcatflap.clickhouse.image=...}. */
    static final String DEFAULT_IMAGE = "clickhouse/clickhouse-server:25.8";

    private final ClickHouseContainer container;

    private ContainerClickHouse(ClickHouseContainer container) {
        this.container = container;
    }

    /** Whether a Docker engine answers; takes a fraction of a second when there is none. */
    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError | java.util.ServiceConfigurationError e) {
            return false;
        }
    }

    @SuppressWarnings("resource") // closed at JVM exit by ClickHouseServer
    static ContainerClickHouse start() {
        String image = System.getProperty("catflap.clickhouse.image", DEFAULT_IMAGE);
        // The default user without a password, reachable from the host: tests need no credentials.
        ClickHouseContainer container = new ClickHouseContainer(image)
                .withUsername("default")
                .withPassword("")
                .withEnv("CLICKHOUSE_SKIP_USER_SETUP", "1");
        container.start();
        return new ContainerClickHouse(container);
    }

    URI httpUrl() {
        return URI.create("http://" + container.getHost() + ":" + container.getMappedPort(8123));
    }

    @Override
    public void close() {
        container.stop();
    }
}
