package re6st.node;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import re6st.cli.Failures;
import re6st.net.NodePrefix;
import re6st.registry.client.RegistryClient;

/**
 * The whole network's tunnels, as the registry's admin RPC {@code topology} tells them
 * (registry-protocol.md: {@code {cn: [cn it dials...], "": [cns that answered]}}, walked by the
 * registry over peer-protocol code 5). Only the registry node can have it: the RPC answers only
 * admin origins (loopback by default), so it is called on {@code 127.0.0.1} (then {@code ::1}) at
 * the registry URL's port. Fetched in the background, only while someone reads the status, at
 * most every {@link #REFRESH_MS}; {@link #current} never waits. A failure (unreachable, refused,
 * not a topology) is counted, logged once per cause, and leaves the last good answer.
 */
public final class RegistryTopology {
    private static final Logger LOG = System.getLogger(RegistryTopology.class.getName());
    public static final long REFRESH_MS = 30_000;
    /** The registry's walk ends after 3 s of silence, or 60 s in all. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A node of the network: the nodes it dials ({@code out}) and those that dial it ({@code in}); {@code answered}: it told its own. */
    public record Node(String cn, List<String> out, List<String> in, boolean answered) {}

    /** One answer of the registry, with the (wall clock) time it came. */
    public record Snapshot(List<Node> nodes, long fetchedMillis) {}

    private final Callable<byte[]> call;
    private final Executor executor;
    private final LongSupplier monotonicMs, wallMs;
    private final AtomicLong failures = new AtomicLong();
    private volatile Snapshot last;
    private boolean inFlight; // guarded by this
    private long lastAttempt; // guarded by this
    private boolean attempted; // guarded by this
    private String lastError; // the fetching thread's (one at a time)

    public RegistryTopology(Callable<byte[]> call, Executor executor, LongSupplier monotonicMs, LongSupplier wallMs) {
        this.call = call;
        this.executor = executor;
        this.monotonicMs = monotonicMs;
        this.wallMs = wallMs;
    }

    /** Calls {@code topology} on the registry of {@code registry} over loopback: 127.0.0.1, then ::1 if that cannot connect. */
    public static Callable<byte[]> overLoopback(URI registry) {
        int port = registry.getPort() < 0 ? 80 : registry.getPort(); // the registry serves plain HTTP (a TLS proxy may front it)
        List<RegistryClient> clients = List.of(new RegistryClient(URI.create("http://127.0.0.1:" + port + "/"), CALL_TIMEOUT),
                new RegistryClient(URI.create("http://[::1]:" + port + "/"), CALL_TIMEOUT));
        return () -> {
            java.io.IOException first = null;
            for (RegistryClient c : clients)
                try {
                    return c.call("topology", Map.of());
                } catch (RegistryClient.RegistryException e) { // it answered: the other address would answer the same
                    throw e;
                } catch (java.io.IOException e) {
                    if (first == null)
                        first = e;
                    else
                        first.addSuppressed(e);
                }
            throw first;
        };
    }

    /** The last good answer (null if none yet); starts a fetch in the background when the last one began {@link #REFRESH_MS} ago. */
    public Snapshot current() {
        long now = monotonicMs.getAsLong();
        synchronized (this) {
            if (!inFlight && (!attempted || now - lastAttempt >= REFRESH_MS)) {
                inFlight = true;
                attempted = true;
                lastAttempt = now;
                try {
                    executor.execute(this::fetch);
                } catch (RejectedExecutionException e) { // the run is closing
                    inFlight = false;
                }
            }
        }
        return last;
    }

    /** Fetches that failed (unreachable, refused, or not a topology). */
    public long failures() {
        return failures.get();
    }

    private void fetch() {
        try {
            byte[] body = call.call();
            Snapshot s = parse(new String(body, StandardCharsets.UTF_8), wallMs.getAsLong());
            last = s;
            if (lastError != null)
                LOG.log(Level.INFO, "the registry''s topology: {0} nodes again", s.nodes().size());
            lastError = null;
        } catch (IllegalArgumentException e) {
            failed("not a topology: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failed(Failures.explain(e));
        } finally {
            synchronized (this) {
                inFlight = false;
            }
        }
    }

    private void failed(String cause) {
        failures.incrementAndGet();
        if (!cause.equals(lastError)) {
            Snapshot s = last;
            LOG.log(Level.WARNING, "the registry''s topology (for the status page''s map): {0}; {1}", cause,
                    s == null ? "no map of the network yet" : "keeping the one of " + Instant.ofEpochMilli(s.fetchedMillis()));
        }
        lastError = cause;
    }

    /**
     * Reads the RPC's answer: every CN met (keys and values) becomes a node, sorted; {@code in} is
     * the reverse of {@code out}. IllegalArgumentException saying what is wrong when it is not
     * such a map of node CNs.
     */
    public static Snapshot parse(String json, long fetchedMillis) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON (" + e.getOriginalMessage() + "): " + abbreviate(json));
        }
        if (root == null || !root.isObject())
            throw new IllegalArgumentException("not a JSON object: " + abbreviate(json));
        Map<String, Set<String>> out = new TreeMap<>(RegistryTopology::byPrefix), in = new TreeMap<>(RegistryTopology::byPrefix);
        Set<String> answered = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> i = root.fields(); i.hasNext();) {
            Map.Entry<String, JsonNode> e = i.next();
            String key = e.getKey();
            if (!key.isEmpty())
                cn(key);
            if (!e.getValue().isArray())
                throw new IllegalArgumentException("the value of '" + abbreviate(key) + "' is not a list: " + abbreviate(e.getValue().toString()));
            Set<String> to = key.isEmpty() ? answered : out.computeIfAbsent(key, k -> new TreeSet<>(RegistryTopology::byPrefix));
            if (!key.isEmpty())
                in.computeIfAbsent(key, k -> new TreeSet<>(RegistryTopology::byPrefix));
            for (JsonNode v : e.getValue()) {
                if (!v.isTextual())
                    throw new IllegalArgumentException("'" + abbreviate(key) + "' lists " + abbreviate(v.toString()) + ", not a node CN");
                String c = cn(v.asText());
                to.add(c);
                out.computeIfAbsent(c, k -> new TreeSet<>(RegistryTopology::byPrefix));
                if (!key.isEmpty())
                    in.computeIfAbsent(c, k -> new TreeSet<>(RegistryTopology::byPrefix)).add(key);
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : out.entrySet())
            nodes.add(new Node(e.getKey(), List.copyOf(e.getValue()), List.copyOf(in.getOrDefault(e.getKey(), Set.of())),
                    answered.contains(e.getKey())));
        return new Snapshot(List.copyOf(nodes), fetchedMillis);
    }

    private static String cn(String s) {
        try {
            return NodePrefix.parseCn(s).cn();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + abbreviate(s) + "' is not a node CN (VALUE/LENGTH, e.g. 7/16)");
        }
    }

    /** By value, then length: 1/16 before 2/16 before 10/16 (the registry sorts them as text). */
    private static int byPrefix(String a, String b) {
        int sa = a.indexOf('/'), sb = b.indexOf('/');
        int c = new java.math.BigInteger(a.substring(0, sa)).compareTo(new java.math.BigInteger(b.substring(0, sb)));
        return c != 0 ? c : Integer.compare(Integer.parseInt(a.substring(sa + 1)), Integer.parseInt(b.substring(sb + 1)));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
