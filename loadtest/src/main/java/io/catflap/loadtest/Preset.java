package io.catflap.loadtest;

import java.util.List;
import java.util.Locale;

/**
 * Ready-made scenarios. A preset is a list of default options placed before the user's own, so any option
 * given on the command line overrides the preset's.
 */
enum Preset {
    /** Many hosts each sending one row per request: the load that hurts ClickHouse most when sent directly. */
    SINGLE_ROWS(false, "--connections=1000", "--rows-per-request=1", "--row-size=100", "--tables=4", "--duration=15s"),
    /** A few per-host proxies each sending about 1 MiB per request. */
    PROXY_BATCHES(false, "--connections=8", "--rows-per-request=5000", "--row-size=200", "--tables=4", "--duration=15s"),
    /** 10,000 idle connections held open next to a few hundred active ones. */
    IDLE_10K(false, "--idle=10000", "--connections=300", "--rows-per-request=10", "--rate=1000", "--tables=4",
            "--duration=15s"),
    /**
     * Starts the built-in fake ClickHouse, which ingests slowly; point the target's upstream at it. 300 senders
     * with 1 MiB requests offer far more than it drains, so the target must push back instead of buffering it all:
     * watch its peak RSS. The fake stores nothing, so there is nothing to verify.
     */
    SLOW_UPSTREAM(true, "--connections=300", "--rows-per-request=1000", "--row-size=1000", "--tables=4",
            "--fake-upstream-rate=4MiB", "--duration=15s"),
    /** Inserts with a fifth of the requests being SELECTs (HTTP and local targets). */
    SELECT_MIX(false, "--connections=50", "--rows-per-request=10", "--tables=2", "--select-share=0.2", "--duration=15s");

    final boolean startsFakeUpstream;
    final List<String> args;

    Preset(boolean startsFakeUpstream, String... args) {
        this.startsFakeUpstream = startsFakeUpstream;
        this.args = List.of(args);
    }

    String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Preset fromCli(String name) {
        for (Preset p : values()) {
            if (p.cliName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'");
    }
}
