package re6st.babel.daemon;

import java.io.IOException;
import java.io.Reader;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

import re6st.babel.BabelRouter;
import re6st.babel.message.Addr;
import re6st.babel.mac.MacKey;
import re6st.babel.mac.MacPolicy;

/**
 * The control socket's commands without the socket (babeld's {@code local.c} protocol, sans I/O):
 * one line from a client in, its reply out; {@link ControlServer} is the socket around it. As
 * babeld (1.12), a line gets lines ending with {@code ok} (a blank line: just {@code ok}), or one
 * line {@code no REASON} (nothing changed) or {@code bad} (a command we do not know, or one that
 * takes no words given some: {@code dump extra}, {@code quit now}); {@code quit} gets none (the
 * connection ends). Words are split at spaces, tabs and carriage returns, as babeld splits them
 * (any other control character is part of a word). Unlike babeld, {@code #} starts no comment (a
 * {@code blackhole} reason may hold one). Nothing a client sends makes {@link #answer} throw.
 */
public final class ControlCommands {
    private static final Logger LOG = System.getLogger("re6st.babel.control");
    /** The longest line answered (a command with its words); {@link #readLine} keeps no more of a longer one. */
    public static final int MAX_LINE = 4096;

    /** What the commands read and change in the router. */
    public interface Router {
        /** The state as babeld dumps it, one line each without "add ". */
        Collection<String> dump() throws Exception;

        /** Prometheus text, each line ending with a newline. */
        String metrics();

        /** {@code routes ADDRESS}: the routes whose prefix holds it, one line each ending with a newline. */
        String routesTo(Addr a) throws Exception;

        void setCostMultiplier(String ifname, Addr neighbour, int multiplier) throws Exception;

        void setMacPolicy(String ifname, MacPolicy policy) throws Exception;

        /**
         * A core driven on the caller's thread (tests): no sockets, so no MAC policies
         * ({@code mac-policy} is refused) and no metrics.
         */
        static Router of(BabelRouter core, LongSupplier nanos) {
            return new Router() {
                public Collection<String> dump() {
                    return ControlDump.snapshot(core, nanos.getAsLong()).values();
                }

                public String metrics() {
                    return "";
                }

                public String routesTo(Addr a) {
                    return ControlDump.routesTo(core, a, nanos.getAsLong());
                }

                public void setCostMultiplier(String ifname, Addr neighbour, int multiplier) {
                    core.setCostMultiplier(ifname, neighbour, multiplier, nanos.getAsLong());
                }

                public void setMacPolicy(String ifname, MacPolicy policy) {
                    throw new IllegalArgumentException("no MAC on " + ifname + ": this router has no sockets");
                }
            };
        }
    }

    /** A command that changes something: its words after the command's, and who asks. */
    public interface Command {
        /**
         * Does it and returns the answer (lines, maybe none). An {@link IllegalArgumentException}
         * (bad input: the command must then have changed nothing) is answered {@code no MESSAGE}.
         */
        String run(List<String> args, String client) throws Exception;
    }

    private final Router router;
    private final boolean readWrite;
    private final Function<String, MacKey> keys;
    private final Map<String, Callable<String>> extensions = new ConcurrentHashMap<>();
    private final Map<String, Command> writableExtensions = new ConcurrentHashMap<>();

    /**
     * @param readWrite whether the socket lets clients change the router at all (says why {@link #answer} refuses a client)
     * @param keys      MAC keys by id, for {@code mac-policy}
     */
    public ControlCommands(Router router, boolean readWrite, Function<String, MacKey> keys) {
        this.router = router;
        this.readWrite = readWrite;
        this.keys = keys;
    }

    /**
     * Answers {@code command} (a word babeld does not use) with what {@code answer} returns, followed
     * by {@code ok}; {@code no} when it fails. The node's {@code status} (JSON on one line) is one.
     */
    public void extend(String command, Callable<String> answer) {
        extensions.put(command, answer);
    }

    /**
     * Answers {@code command ARGS...} with what {@code c} returns, then {@code ok}; only to a client
     * that may change the router (read-write socket, our user or root): others get {@code no not allowed}.
     */
    public void extendWritable(String command, Command c) {
        writableExtensions.put(command, c);
    }

    /** The words of a line: babeld's, split at spaces, tabs and carriage returns. */
    public static List<String> words(String line) {
        List<String> w = new java.util.ArrayList<>();
        for (String s : line.split("[ \t\r]+"))
            if (!s.isEmpty())
                w.add(s);
        return List.copyOf(w);
    }

    /**
     * What a client sends, as the commands read it: UTF-8, where a malformed (or unmappable) byte
     * sequence becomes U+FFFD (so a word we do not know: {@code bad}, as babeld answers a stray byte)
     * rather than an exception that would lose the lines before it and the connection.
     */
    public static Reader decoding(java.nio.channels.ReadableByteChannel in) {
        java.nio.charset.CharsetDecoder d = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE);
        return new java.io.BufferedReader(java.nio.channels.Channels.newReader(in, d, -1));
    }

    /**
     * The next line from {@code in} without its {@code \n}, null at the end: what follows the last
     * {@code \n} is no line (babeld acts only on whole lines; a client sends the newline); of a line longer than
     * {@link #MAX_LINE} only the first {@code MAX_LINE + 1} characters are kept (the rest is read
     * and dropped), which {@link #answer} refuses: a client cannot make us hold an endless line.
     */
    public static String readLine(Reader in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n')
                return b.toString();
            if (b.length() <= MAX_LINE)
                b.append((char) c);
        }
        return null; // the end, maybe within an unterminated line: dropped
    }

    /**
     * The reply to {@code line} (lines, each ending with a newline): {@code ok} for a blank line
     * and {@code bad} for trailing words after a command that takes none (as babeld), null for
     * {@code quit}.
     *
     * @param writable whether this client may change the router (our user or root on a read-write socket)
     * @param client   who asks, for the log of what it changes
     */
    public String answer(String line, boolean writable, String client) {
        if (line.length() > MAX_LINE)
            return no("line too long (over " + MAX_LINE + " characters)");
        List<String> w = words(line);
        if (w.isEmpty())
            return "ok\n";
        String command = w.get(0);
        if (w.size() > 1 && !TAKE_WORDS.contains(command) && !writableExtensions.containsKey(command))
            return "bad\n"; // babeld: "dump extra", "quit now"
        try {
            return switch (command) {
                case "quit" -> null;
                case "dump", "monitor" -> dump();
                case "unmonitor" -> "ok\n";
                case "cost-multiplier" -> costMultiplier(w, writable);
                case "mac-policy" -> macPolicy(w, writable);
                case "metrics" -> router.metrics() + "ok\n";
                case "routes" -> routes(w);
                default -> writableExtensions.containsKey(command) ? writableExtension(w, writable, client) : extension(command);
            };
        } catch (Exception e) { // the router failed (not the client): a bug or a stopping daemon
            LOG.log(Level.WARNING, "control socket: {0} failed: {1}", command, e.toString());
            return no(command + " failed (see the log)");
        }
    }

    /** The commands (other than the {@link #extendWritable} ones) that take words after their own; the others are {@code bad} with any. */
    private static final java.util.Set<String> TAKE_WORDS = java.util.Set.of("cost-multiplier", "mac-policy", "routes");

    /** One line {@code no REASON}: on one line whatever the reason holds. */
    static String no(String reason) {
        return "no " + reason.replace('\n', ' ').replace('\r', ' ') + "\n";
    }

    /** What went wrong, for a {@code no} line: the cause of a failed core call, and never "null". */
    private static String reason(Throwable e) {
        Throwable c = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        return c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName();
    }

    private static String withOk(String answer) {
        return answer.isEmpty() || answer.endsWith("\n") ? answer + "ok\n" : answer + "\nok\n";
    }

    private String notAllowed() {
        return no(readWrite ? "not allowed: only the router's own user may change it" : "read-only control socket");
    }

    /** The whole state as {@code add} lines, then {@code ok}. */
    private String dump() throws Exception {
        StringBuilder b = new StringBuilder();
        for (String l : router.dump())
            b.append("add ").append(l).append('\n');
        return b.append("ok\n").toString();
    }

    /** {@code routes ADDRESS}: the routes whose prefix holds it, with their feasibility ({@link ControlDump#routesTo}). */
    private String routes(List<String> w) throws Exception {
        if (w.size() != 2)
            return no("usage: routes ADDRESS");
        Addr a;
        try {
            a = Addr.parse(w.get(1));
        } catch (RuntimeException e) {
            return no("not an address: " + w.get(1));
        }
        return router.routesTo(a) + "ok\n";
    }

    private String writableExtension(List<String> w, boolean writable, String client) {
        if (!writable)
            return notAllowed();
        try {
            return withOk(writableExtensions.get(w.get(0)).run(w.subList(1, w.size()), client));
        } catch (IllegalArgumentException e) {
            return no(reason(e));
        } catch (Exception e) {
            LOG.log(Level.WARNING, "control socket: {0} failed: {1}", w.get(0), e.toString());
            return no(w.get(0) + " failed (see the node's log)");
        }
    }

    private String extension(String command) {
        Callable<String> answer = extensions.get(command);
        if (answer == null)
            return "bad\n";
        try {
            return withOk(answer.call());
        } catch (Exception e) {
            LOG.log(Level.WARNING, "control socket: {0} failed: {1}", command, e.toString());
            return "no\n";
        }
    }

    private String costMultiplier(List<String> w, boolean writable) {
        if (!writable)
            return notAllowed();
        if (w.size() != 4)
            return no("usage: cost-multiplier IF NEIGHBOUR-LINK-LOCAL N");
        try {
            router.setCostMultiplier(w.get(1), Addr.parse(w.get(2)), Integer.parseInt(w.get(3)));
            return "ok\n";
        } catch (Exception e) {
            return no(reason(e));
        }
    }

    /** {@code mac-policy IF sign K[,K] [accept K[,K]] [accept-bad true|false]}: key ids from the configuration. */
    private String macPolicy(List<String> w, boolean writable) {
        if (!writable)
            return notAllowed();
        try {
            if (w.size() < 4 || !w.get(2).equals("sign"))
                return no("usage: mac-policy IF sign K[,K...] [accept K[,K...]] [accept-bad true|false]");
            List<MacKey> sign = keyList(w.get(3));
            List<MacKey> accept = List.of();
            boolean bad = false;
            for (int i = 4; i + 1 < w.size(); i += 2) {
                switch (w.get(i)) {
                    case "accept" -> accept = keyList(w.get(i + 1));
                    case "accept-bad" -> bad = Boolean.parseBoolean(w.get(i + 1));
                    default -> throw new IllegalArgumentException("unknown word '" + w.get(i) + "'");
                }
            }
            router.setMacPolicy(w.get(1), new MacPolicy(sign, accept, bad));
            return "ok\n";
        } catch (Exception e) {
            return no(reason(e));
        }
    }

    private List<MacKey> keyList(String ids) {
        List<MacKey> l = new java.util.ArrayList<>();
        for (String id : ids.split(",")) {
            MacKey k = keys.apply(id);
            if (k == null)
                throw new IllegalArgumentException("no key '" + id + "' (define it with a 'key id ...' statement)");
            l.add(k);
        }
        return l;
    }
}
