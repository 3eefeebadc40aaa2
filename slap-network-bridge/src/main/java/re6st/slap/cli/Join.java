package re6st.slap.cli;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import re6st.cli.CommandFailure;
import re6st.net.IpPrefix;
import re6st.slap.agent.LinuxHost;

/**
 * {@code re6st slapos node --join}: the computer joins the overlay by itself. {@code re6st conf}
 * (unless {@code cert.crt} is there already), then {@code re6st node @re6stnet.conf} as a child
 * process, then the wait for the node's address. Both run on this JVM's classpath (the launcher
 * puts every module on it).
 */
final class Join {
    private static final Logger LOG = System.getLogger("re6st.slap.agent");
    static final long ADDRESS_TIMEOUT_S = 180;

    private Join() {
    }

    static List<String> java(String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:+UseSerialGC", "-Xmx128m", "-Djava.util.logging.manager=re6st.cli.DaemonLogManager", "-cp",
                System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        return cmd;
    }

    static Process start(String registry, String token, Path dir, List<String> nodeOptions, String iface) {
        try {
            Files.createDirectories(dir);
            if (!Files.exists(dir.resolve("cert.crt"))) {
                List<String> conf = new ArrayList<>(List.of("--registry", registry, "-d", dir.toString()));
                if (token != null)
                    conf.addAll(List.of("--token", token));
                else
                    conf.add("--anonymous");
                Path log = dir.resolve("conf.log");
                Process p = new ProcessBuilder(java("re6st.registry.cli.ConfCommand", conf)).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw CommandFailure.failed("--join: re6st conf did not end within 120 s (log: " + log + ")");
                }
                if (p.exitValue() != 0)
                    throw CommandFailure.failed("--join: re6st conf failed (exit " + p.exitValue() + "):\n" + Files.readString(log).strip());
                LOG.log(Level.INFO, "enrolled with {0}: {1}", registry, lastLine(Files.readString(log)));
            }
            List<String> args = new ArrayList<>(List.of("@" + dir.resolve("re6stnet.conf")));
            args.addAll(nodeOptions);
            Path log = dir.resolve("node.log");
            Process node = new ProcessBuilder(java("re6st.node.cli.NodeCommand", args)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            LOG.log(Level.INFO, "re6st node started (pid {0}, log {1})", node.pid(), log);
            Thread guard = new Thread(() -> stop(node), "re6st-node-stop"); // a SIGTERM while we wait stops the node too
            Runtime.getRuntime().addShutdownHook(guard);
            boolean up = false;
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADDRESS_TIMEOUT_S);
                while (true) {
                    if (!node.isAlive())
                        throw CommandFailure.failed("--join: re6st node exited with " + node.exitValue() + "; the end of " + log + ":\n"
                                + tail(log));
                    List<IpPrefix> a = LinuxHost.globalAddresses(iface);
                    if (a.stream().anyMatch(p -> p.isIpv6() && p.length() < 128)) {
                        LOG.log(Level.INFO, "the node's overlay address is up on {0}: {1}", iface, a);
                        up = true;
                        return node;
                    }
                    if (System.nanoTime() > deadline)
                        throw CommandFailure.failed("--join: no overlay address on " + iface + " after " + ADDRESS_TIMEOUT_S + " s; the end of "
                                + log + ":\n" + tail(log));
                    Thread.sleep(200); // polling the interface's addresses, bounded by the deadline above
                }
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(guard); // the agent's own hook takes over
                } catch (IllegalStateException shuttingDown) {
                    // the guard runs
                }
                if (!up)
                    stop(node);
            }
        } catch (IOException e) {
            throw CommandFailure.failed("--join", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommandFailure.failed("--join: interrupted");
        }
    }

    static void stop(Process node) {
        node.destroy();
        try {
            if (!node.waitFor(20, TimeUnit.SECONDS))
                node.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String lastLine(String s) {
        String t = s.strip();
        return t.substring(t.lastIndexOf('\n') + 1);
    }

    private static String tail(Path log) {
        try {
            List<String> l = Files.readAllLines(log);
            return String.join("\n", l.subList(Math.max(0, l.size() - 15), l.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
