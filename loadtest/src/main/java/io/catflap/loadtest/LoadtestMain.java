package io.catflap.loadtest;

import com.clickhouse.client.api.Client;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catflap-loadtest}: plays many hosts sending inserts to a KITTEN, HTTP or local-API target, reports
 * throughput, latency and the target's CPU and memory, and checks in ClickHouse that every acked row landed.
 * Exit code 0: done (and verified if asked), 1: acked rows are missing, 2: bad options or setup failure.
 */
@Command(name = "catflap-loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = FakeClickHouseCommand.class,
        description = {"Simulated hosts sending inserts, with verified delivery and a latency / CPU / memory report.",
                "Load goes to loopback addresses only. Many connections need a high open-files limit (ulimit -n)."})
public final class LoadtestMain implements Callable<Integer> {
    static final int EXIT_LOST = 1;
    static final int EXIT_SETUP = 2;

    @Option(names = {"-t", "--target"}, paramLabel = "URL", split = ",",
            description = {"kitten://HOST:PORT, http://HOST:PORT (ClickHouse-compatible) or local://HOST:PORT (client "
                    + "daemon; local://HOST:PORT?persistent=1 for its disk-buffered inserts). Several, comma-separated "
                    + "or repeated: destinations that share this one run's load at once, connection i going to "
                    + "destination i mod n (as hosts spread over the aggregators of a cluster); the report adds a line "
                    + "per destination (default: none, required)"})
    List<String> target = new ArrayList<>();

    @Option(names = "--compare", paramLabel = "URL", split = ",",
            description = {"after --target, run the same load (its --hostile too) against each of these targets in "
                    + "turn, every target's warm-up first, each verified under its own run tag (TAG-compare1, ...), then print the figures "
                    + "side by side with the ratios --target / other; comma-separated or repeated (default: none)"})
    List<String> compare = new ArrayList<>();

    @Option(names = "--preset", paramLabel = "NAME", converter = PresetConverter.class,
            description = "single-rows, proxy-batches, idle-10k, slow-upstream or select-mix; options given override it")
    Preset preset;

    @Option(names = {"-c", "--connections"}, paramLabel = "N",
            description = "active connections, one simulated host each (default ${DEFAULT-VALUE})")
    int connections = 100;

    @Option(names = "--idle", paramLabel = "N",
            description = "extra connections held open without traffic (default ${DEFAULT-VALUE})")
    int idle;

    @Option(names = {"-r", "--rows-per-request"}, paramLabel = "N",
            description = "rows in each INSERT (default ${DEFAULT-VALUE})")
    int rowsPerRequest = 1;

    @Option(names = "--tables", paramLabel = "N",
            description = "number of tables, DB.PREFIX_0.. (default ${DEFAULT-VALUE})")
    int tableCount = 1;

    @Option(names = "--table", paramLabel = "DB.TABLE", description = "explicit table(s) instead of --tables")
    List<String> explicitTables = new ArrayList<>();

    @Option(names = "--database", paramLabel = "DB",
            description = "database of the generated tables (default ${DEFAULT-VALUE})")
    String database = "default";

    @Option(names = "--table-prefix", paramLabel = "PREFIX",
            description = "prefix of the generated tables (default ${DEFAULT-VALUE})")
    String tablePrefix = "loadtest";

    @Option(names = "--row-size", paramLabel = "BYTES",
            description = "approximate bytes per row (default ${DEFAULT-VALUE})")
    int rowSize = 100;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT",
            description = "values, rowbinary or jsoneachrow (http only) (default values)",
            converter = FormatConverter.class)
    RowFormat format = RowFormat.VALUES;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", converter = Units.Millis.class,
            description = "how long to send, e.g. 15s (default 15s; with --requests, an upper bound)")
    long durationMillis = 15_000;

    @Option(names = "--warmup", paramLabel = "TIME", converter = Units.Millis.class,
            description = "send the same load for this long first, under its own tag, and leave it out of the report")
    long warmupMillis;

    @Option(names = {"-n", "--requests"}, paramLabel = "N",
            description = "stop after this many requests in total (default: duration only)")
    long maxRequests;

    @Option(names = "--rate", paramLabel = "PER_SECOND",
            description = "total requests per second over all connections (default: unlimited)")
    double rate;

    @Option(names = "--select-share", paramLabel = "FRACTION",
            description = "fraction of requests that are SELECTs, 0..1 (http and local)")
    double selectShare;

    @Option(names = "--tag", paramLabel = "TAG", description = "run tag written into every row (default: generated)")
    String tag;

    @Option(names = "--token", paramLabel = "TOKEN", description = "bearer token for the KITTEN handshake")
    String token;

    @Option(names = "--lz4", description = "KITTEN: send LZ4-compressed bodies (catflap extension, not kittenhouse)")
    boolean lz4;

    @Option(names = "--clickhouse", paramLabel = "URL",
            description = "ClickHouse HTTP URL to verify delivery against; on a loopback host, the server process "
                    + "listening on its port is sampled for CPU too")
    URI clickhouse;

    @Option(names = "--create-tables", description = "create the tables in --clickhouse if missing (MergeTree)")
    boolean createTables;

    @Option(names = "--verify-wait", paramLabel = "TIME", converter = Units.Millis.class,
            description = "how long to wait for acked rows to appear (default 10s)")
    long verifyWaitMillis = 10_000;

    @Option(names = "--target-pid", paramLabel = "PID", split = ",",
            description = "PID of the target process to sample CPU and RSS of; with several --target destinations, "
                    + "one per destination in the same order (default: none)")
    List<Long> targetPids = new ArrayList<>();

    @Option(names = "--target-port", paramLabel = "PORT", split = ",",
            description = "sample the process listening on this TCP port; with several --target destinations, one "
                    + "per destination in the same order; a --target-pid wins (default: none)")
    List<Integer> targetPorts = new ArrayList<>();

    @Option(names = "--compare-pid", paramLabel = "PID", split = ",",
            description = "PIDs of the --compare targets to sample, one per target in the same order (default: none)")
    List<Long> comparePids = new ArrayList<>();

    @Option(names = "--compare-port", paramLabel = "PORT", split = ",",
            description = "sample the processes listening on these TCP ports, one per --compare target in the same "
                    + "order; a --compare-pid wins (default: none)")
    List<Integer> comparePorts = new ArrayList<>();

    @Option(names = "--json", paramLabel = "FILE", description = "also write the summary as JSON to FILE")
    Path json;

    @Option(names = "--request-timeout", paramLabel = "TIME", converter = Units.Millis.class,
            description = "per request (default 30s)")
    long requestTimeoutMillis = 30_000;

    @Option(names = "--wait-for-target", paramLabel = "TIME", converter = Units.Millis.class,
            description = "wait this long for the target to accept connections (default 30s)")
    long waitForTargetMillis = 30_000;

    @Option(names = "--fake-upstream-listen", paramLabel = "HOST:PORT",
            description = "where the slow-upstream preset's fake ClickHouse listens (default ${DEFAULT-VALUE})")
    String fakeUpstreamListen = "127.0.0.1:0";

    @Option(names = "--fake-upstream-rate", paramLabel = "BYTES", converter = Units.Bytes.class,
            description = "bytes per second the fake ClickHouse ingests (default 2MiB)")
    long fakeUpstreamRate = 2 << 20;

    @Option(names = "--hostile", paramLabel = "KIND:N,...",
            description = {"also run the load beside broken and hostile connections, after a clean run of the same load, "
                    + "and report the good senders' rate under attack as a fraction of clean. Kinds: stall (one byte "
                    + "of a request, then nothing), garbage (random bytes), handshake (an unfinished KITTEN "
                    + "handshake), slowloris (headers at a byte a second), slowbody (a body at ten bytes a second), "
                    + "noread (inserts back to back, answers never read). Example: stall:500,garbage:200,noread:50"})
    String hostileText;

    @Option(names = "--io-threads", paramLabel = "N", description = "event loop threads (default: number of CPUs)")
    int ioThreads = Runtime.getRuntime().availableProcessors();

    private final PrintStream out;
    private final PrintStream err;
    private HostileSenders.Spec hostile;

    LoadtestMain(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /** Runs the harness in this JVM and returns its exit code. */
    static int run(PrintStream out, PrintStream err, String... args) {
        CommandLine cl = new CommandLine(new LoadtestMain(out, err));
        cl.setOverwrittenOptionsAllowed(true);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, line, parse) -> {
            err.println("catflap-loadtest: " + e.getMessage());
            return EXIT_SETUP;
        });
        return cl.execute(withPresetDefaults(args));
    }

    /** Places the chosen preset's options first, so that the user's own options override them. */
    static String[] withPresetDefaults(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String name = args[i].startsWith("--preset=") ? args[i].substring("--preset=".length())
                    : args[i].equals("--preset") && i + 1 < args.length ? args[i + 1] : null;
            if (name != null) {
                try {
                    List<String> all = new ArrayList<>(Preset.fromCli(name).args);
                    all.addAll(List.of(args));
                    return all.toArray(String[]::new);
                } catch (IllegalArgumentException unknown) {
                    return args; // the option's converter reports it
                }
            }
        }
        return args;
    }

    @Override
    public Integer call() throws Exception {
        List<List<Target>> targets = validate();
        String runTag = tag != null ? tag : "lt-" + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 16));
        List<String> tables = tableNames();
        boolean withFake = preset != null && preset.startsFakeUpstream;
        try (Client clickHouse = clickhouse == null ? null : clickHouseClient(clickhouse);
             FakeClickHouse fake = withFake ? startFake() : null) {
            if (createTables) {
                for (String table : tables) {
                    clickHouse.execute("CREATE TABLE IF NOT EXISTS " + table + " (" + RowGenerator.COLUMNS_DDL
                            + ") ENGINE = MergeTree ORDER BY (tag, host, seq)").get().close();
                }
            }
            if (fake != null) {
                err.println("fake ClickHouse listening on " + fake.url() + ", ingesting " + fakeUpstreamRate + " bytes/s");
            }
            // Every target up and its process found before the first run: a missing one fails now, not a run later.
            List<List<Long>> pids = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                List<Long> destinationPids = new ArrayList<>();
                for (int d = 0; d < targets.get(i).size(); d++) {
                    awaitTarget(targets.get(i).get(d));
                    destinationPids.add(i == 0 ? pidToSample(targetPids, targetPorts, d)
                            : pidToSample(comparePids, comparePorts, i - 1));
                }
                pids.add(destinationPids);
            }
            Client verifyIn = withFake ? null : clickHouse;   // the fake stores nothing
            OptionalLong clickHousePid = verifyIn == null ? OptionalLong.empty()
                    : ClickHouseProcess.localPid(Path.of("/proc"), clickhouse);
            boolean comparing = targets.size() > 1;
            // Each target's rows under a tag of its own, so that each is verified on its own in the same tables.
            List<String> tags = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                tags.add(i == 0 ? runTag : runTag + "-compare" + i);
            }
            // Every target's warm-up before the first measured run: this process's own JIT compiles during the
            // first warm-up, and would otherwise take the machine's CPU from whichever target is measured first.
            for (int i = 0; i < targets.size(); i++) {
                warmUp(targets.get(i), tags.get(i), tables);
            }
            List<TargetOutcome> outcomes = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                List<Target> t = targets.get(i);
                String targetTag = tags.get(i);
                if (comparing) {
                    err.printf(Locale.ROOT, "target %s: %s (tag %s)%n", Comparison.letter(i), name(t), targetTag);
                }
                TargetOutcome outcome = runOn(t, pids.get(i), targetTag, tables, verifyIn, clickHousePid, fake);
                if (comparing) {
                    out.printf(Locale.ROOT, "%s=== %s: %s ===%n", i > 0 ? "\n" : "", Comparison.letter(i), name(t));
                }
                out.print(outcome.text());   // as each target finishes: a long comparison shows its progress
                outcomes.add(outcome);
            }
            if (comparing) {
                Comparison comparison = new Comparison(outcomes);
                out.println();
                out.print(comparison.text());
                writeJson(comparison.toJson());
            } else {
                writeJson(outcomes.get(0).toJson());
            }
            return outcomes.stream().mapToLong(TargetOutcome::lostRows).sum() > 0 ? EXIT_LOST : 0;
        }
    }

    /** The same load for {@code --warmup}, under its own tag, not measured. */
    private void warmUp(List<Target> t, String runTag, List<String> tables) throws Exception {
        if (warmupMillis > 0) {
            err.printf(Locale.ROOT, "warming up %s for %.1f s (run tag %s-warmup, not counted)%n", name(t),
                    warmupMillis / 1000.0, runTag);
            phase(t, workload(runTag + "-warmup", tables), new Stats(tables.size(), t.size()), warmupMillis, 0, 0, false,
                    null);
        }
    }

    /** One warmed-up target: the measured run, or with {@code --hostile} a clean run and a run under attack. */
    private TargetOutcome runOn(List<Target> t, List<Long> pids, String runTag, List<String> tables, Client clickHouse,
            OptionalLong clickHousePid, FakeClickHouse fake) throws Exception {
        if (hostile == null) {
            return TargetOutcome.of(measure(t, pids, runTag, tables, clickHouse, clickHousePid, fake));
        }
        err.printf(Locale.ROOT, "clean run (tag %s-clean)%n", runTag);
        RunReport clean = measure(t, pids, runTag + "-clean", tables, clickHouse, clickHousePid, fake);
        try (HostileSenders senders = new HostileSenders(t.get(0), workload(runTag + "-hostile", tables), runTag + "-hostile")) {
            err.printf(Locale.ROOT, "opening %,d hostile connections (%s)%n", hostile.total(), hostileText);
            senders.start(hostile, waitForTargetMillis);
            err.printf(Locale.ROOT, "run under attack (tag %s)%n", runTag);
            RunReport attacked = measure(t, pids, runTag, tables, clickHouse, clickHousePid, fake);
            return new TargetOutcome(clean, attacked, hostileText, senders.lines(), senders.toJson());
        }
    }

    /**
     * One measured phase: the load, the CPU and memory of the target, of this process and of ClickHouse (when
     * {@code clickHousePid} is present), the whole machine's CPU, and delivery verification.
     */
    private RunReport measure(List<Target> t, List<Long> pids, String runTag, List<String> tables,
            Client clickHouse, OptionalLong clickHousePid, FakeClickHouse fake) throws Exception {
        Workload workload = workload(runTag, tables);
        List<ProcSampler> samplers = pids.stream().map(pid -> pid == null ? null : ProcSampler.of(pid)).toList();
        ProcSampler self = Files.isDirectory(Path.of("/proc/self")) ? ProcSampler.of(ProcessHandle.current().pid()) : null;
        ProcSampler clickHouseServer = clickHousePid.isPresent() ? ProcSampler.of(clickHousePid.getAsLong()) : null;
        List<ProcSampler> processes = new ArrayList<>(samplers);   // the first destination's is shown while running
        processes.add(self);
        processes.add(clickHouseServer);
        MachineCpu machine = MachineCpu.start(Path.of("/proc/stat"));
        Stats stats = new Stats(tables.size(), t.size());
        Verifier verifier = clickHouse == null ? null : new Verifier(clickHouse);
        Long insertsBefore = verifier == null ? null : verifier.insertQueries();
        double seconds = phase(t, workload, stats, durationMillis, maxRequests, idle, true, machine,
                processes.toArray(ProcSampler[]::new));
        ClickHouseCost cost = verifier == null ? null
                : new ClickHouseCost(verifier.insertQueries() - insertsBefore, clickHouseServer);
        // Every destination inserts into the same tables: the run is verified as a whole, under its one tag.
        List<Verifier.TableCount> verification = verifier == null ? null
                : verifier.verify(workload, stats, verifyWaitMillis);
        if (t.size() == 1) {
            return new RunReport(describe(t, runTag, tables), seconds, stats, samplers.get(0), self, machine,
                    verification, fake, cost);
        }
        List<RunReport> destinations = IntStream.range(0, t.size())
                .mapToObj(d -> RunReport.destination(t.get(d), seconds, stats.destination(d), samplers.get(d))).toList();
        return new RunReport(describe(t, runTag, tables), seconds, stats, null, self, machine, verification, fake,
                destinations, cost);
    }

    /**
     * clickhouse-java's client towards {@code --clickhouse}, for DDL and verification, with the URL's user info as its
     * credentials. Answers uncompressed: ClickHouse 18.16 answers compress=1 with an empty body.
     */
    private static Client clickHouseClient(URI url) {
        String userInfo = url.getUserInfo() == null ? "default:" : url.getUserInfo();
        int colon = userInfo.indexOf(':');
        return new Client.Builder()
                .addEndpoint(url.getScheme() + "://" + url.getHost() + ":" + ClickHouseProcess.port(url))
                .setUsername(colon < 0 ? userInfo : userInfo.substring(0, colon))
                .setPassword(colon < 0 ? "" : userInfo.substring(colon + 1))
                .compressServerResponse(false)
                .build();
    }

    private void writeJson(Map<String, Object> m) throws IOException {
        if (json != null) {
            Files.writeString(json, Json.write(m), StandardCharsets.UTF_8);
        }
    }

    private Workload workload(String runTag, List<String> tables) {
        return new Workload(new RowGenerator(format, runTag, rowSize), tables, rowsPerRequest, selectShare, runTag);
    }

    /**
     * One load phase: opens the idle connections, runs the active hosts until the deadline or the request budget,
     * printing progress each second if {@code live}, samples the machine (if not null) and the processes once more
     * (the first is the target, shown in the progress line) and closes every connection. Returns the seconds the
     * active hosts ran.
     */
    private double phase(List<Target> t, Workload workload, Stats stats, long millis, long requests, int idleCount,
            boolean live, MachineCpu machine, ProcSampler... processes) throws InterruptedException {
        boolean terminal = err == System.err && System.console() != null;
        try (LoadRun load = new LoadRun(t, workload, stats, rate, requests, requestTimeoutMillis,
                new KittenOptions(token, lz4), ioThreads)) {
            if (idleCount > 0) {
                long opening = System.nanoTime();
                load.openIdle(idleCount, requestTimeoutMillis);
                err.printf(Locale.ROOT, "opened %,d of %,d idle connections in %.1f s%n", stats.idleConnected.sum(), idleCount,
                        (System.nanoTime() - opening) / 1e9);
            }
            long start = System.nanoTime();
            long deadline = start + millis * 1_000_000;
            load.startActive(connections);
            ProgressLine progress = new ProgressLine(stats, processes.length > 0 ? processes[0] : null);
            while (true) {
                long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMillis <= 0) {
                    load.stop();
                    if (!load.awaitHosts(requestTimeoutMillis + 5000, TimeUnit.MILLISECONDS)) {
                        err.println("some requests got no answer before the drain timeout");
                    }
                    break;
                }
                long wait = Math.min(1000, remainingMillis);
                if (load.awaitHosts(wait, TimeUnit.MILLISECONDS)) {
                    break;
                }
                if (wait == 1000 && live) {
                    String line = progress.next((System.nanoTime() - start) / 1e9, load.openConnections());
                    // On a terminal the line is redrawn in place; in a log each second gets its own line.
                    err.print(terminal ? "\r" + line + "\u001b[K" : line + System.lineSeparator());
                    err.flush();
                }
            }
            if (terminal && live) {
                err.println();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (machine != null) {
                machine.sample();
            }
            for (ProcSampler s : processes) {
                if (s != null) {
                    s.sample();
                }
            }
            return seconds;
        }
    }

    /**
     * The targets, each a list of its destinations: {@code --target}'s first, then each {@code --compare} target's one,
     * every destination checked against the options that only some kinds of target take.
     */
    private List<List<Target>> validate() {
        if (target.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--target is required");
        }
        if (!comparePids.isEmpty() && comparePids.size() != compare.size()
                || !comparePorts.isEmpty() && comparePorts.size() != compare.size()) {
            throw new IllegalArgumentException("--compare-pid and --compare-port take one value per --compare target");
        }
        if (!targetPids.isEmpty() && targetPids.size() != target.size()
                || !targetPorts.isEmpty() && targetPorts.size() != target.size()) {
            throw new IllegalArgumentException("--target-pid and --target-port take one value per --target destination");
        }
        if (hostileText != null && target.size() > 1) {
            throw new IllegalArgumentException("--hostile takes a --target of one destination");
        }
        hostile = hostileText == null ? null : HostileSenders.Spec.parse(hostileText);
        List<Target> all = new ArrayList<>();
        for (String text : concat(target, compare)) {
            Target t = Target.parse(text);
            if (format == RowFormat.JSONEACHROW && t.kind() != Target.Kind.HTTP) {
                throw new IllegalArgumentException("jsoneachrow is for http:// targets only");
            }
            if (lz4 && t.kind() != Target.Kind.KITTEN) {
                throw new IllegalArgumentException("--lz4 is for kitten:// targets only");
            }
            if (selectShare > 0 && t.kind() == Target.Kind.KITTEN) {
                throw new IllegalArgumentException("KITTEN carries inserts only: --select-share needs an http:// or local:// target");
            }
            if (hostile != null) {
                HostileSenders.requireSupported(t);
            }
            all.add(t);
        }
        List<List<Target>> targets = new ArrayList<>(List.of(all.subList(0, target.size())));
        all.subList(target.size(), all.size()).forEach(t -> targets.add(List.of(t)));
        if (selectShare < 0 || selectShare > 1 || connections < 1 || rowsPerRequest < 1 || idle < 0 || tableCount < 1) {
            throw new IllegalArgumentException("out of range: need connections >= 1, rows-per-request >= 1, tables >= 1, "
                    + "idle >= 0 and 0 <= select-share <= 1");
        }
        if (createTables && clickhouse == null) {
            throw new IllegalArgumentException("--create-tables needs --clickhouse");
        }
        return targets;
    }

    private static List<String> concat(List<String> first, List<String> rest) {
        List<String> all = new ArrayList<>(first);
        all.addAll(rest);
        return all;
    }

    private List<String> tableNames() {
        List<String> names = new ArrayList<>(explicitTables);
        if (names.isEmpty()) {
            for (int i = 0; i < tableCount; i++) {
                names.add(database + "." + tablePrefix + "_" + i);
            }
        }
        for (String name : names) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?")) {
                throw new IllegalArgumentException("table names are plain identifiers, db.table: " + name);
            }
        }
        return names;
    }

    private FakeClickHouse startFake() throws InterruptedException {
        int colon = fakeUpstreamListen.lastIndexOf(':');
        return FakeClickHouse.start(fakeUpstreamListen.substring(0, colon),
                Integer.parseInt(fakeUpstreamListen.substring(colon + 1)), fakeUpstreamRate);
    }

    private void awaitTarget(Target t) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + waitForTargetMillis * 1_000_000;
        boolean told = false;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(t.host(), t.port()), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new IOException("target " + t + " does not accept connections: " + e.getMessage(), e);
                }
                if (!told) {
                    err.println("waiting for " + t + " to accept connections...");
                    told = true;
                }
                Thread.sleep(200);
            }
        }
    }

    /** The PID to sample for entry {@code index} of a PID and a port list (either may be empty), or null. */
    private static Long pidToSample(List<Long> pids, List<Integer> ports, int index) throws IOException {
        Long pid = pids.isEmpty() ? null : pids.get(index);
        Integer port = ports.isEmpty() ? null : ports.get(index);
        if (pid == null && port != null) {
            OptionalLong found = ProcSampler.pidListeningOn(Path.of("/proc"), port);
            if (found.isEmpty()) {
                throw new IllegalArgumentException("no process of ours listens on port " + port);
            }
            pid = found.getAsLong();
        }
        return pid;
    }

    /** A target's destinations as given: comma-separated. */
    private static String name(List<Target> destinations) {
        return String.join(",", destinations.stream().map(Target::toString).toList());
    }

    private Map<String, Object> describe(List<Target> t, String runTag, List<String> tables) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", name(t));
        m.put("preset", preset == null ? null : preset.cliName());
        m.put("tag", runTag);
        m.put("connections", (long) connections);
        m.put("idle_connections", (long) idle);
        m.put("rows_per_request", (long) rowsPerRequest);
        m.put("row_size", (long) rowSize);
        m.put("format", format.clickHouseName());
        m.put("tables", tables);
        m.put("rate_limit", rate > 0 ? rate : null);
        m.put("select_share", selectShare);
        m.put("duration_limit_seconds", durationMillis / 1000.0);
        m.put("request_limit", maxRequests > 0 ? maxRequests : null);
        return m;
    }

    static final class PresetConverter implements CommandLine.ITypeConverter<Preset> {
        @Override
        public Preset convert(String value) {
            return Preset.fromCli(value);
        }
    }

    static final class FormatConverter implements CommandLine.ITypeConverter<RowFormat> {
        @Override
        public RowFormat convert(String value) {
            return RowFormat.valueOf(value.toUpperCase(Locale.ROOT));
        }
    }
}
