package re6st.node;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code --up} and {@code --daemon} commands (startup step 8): run by {@code /bin/sh -c} with
 * the original's variables ({@code re6stnet_ip}, {@code re6stnet_iface}, {@code re6stnet_subnet},
 * {@code re6stnet_network}). {@code --up} runs once routing has started, and the node waits for it
 * (a failure is logged, not fatal, as the original); each {@code --daemon} runs as long as the node
 * and is stopped (SIGTERM, then SIGKILL after 5 s) when the node stops.
 */
public final class Hooks implements AutoCloseable {
    private static final Logger LOG = System.getLogger("re6st.node");
    private final Map<String, String> env;
    private final List<Process> daemons = new ArrayList<>();

    public Hooks(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    private ProcessBuilder shell(String cmd) {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", cmd).inheritIO();
        pb.environment().putAll(env);
        return pb;
    }

    /** Runs {@code cmd} and waits for it; returns its exit status (-1 if it could not start). */
    public int up(String cmd) throws InterruptedException {
        try {
            int rc = shell(cmd).start().waitFor();
            if (rc != 0)
                LOG.log(Level.WARNING, "--up ''{0}'' exited with status {1}", cmd, rc);
            return rc;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "--up ''{0}'' cannot start: {1}", cmd, e.getMessage());
            return -1;
        }
    }

    /** Starts {@code cmd} in the background, for as long as the node runs. */
    public void daemon(String cmd) {
        try {
            daemons.add(shell(cmd).start());
            LOG.log(Level.INFO, "--daemon ''{0}'' started", cmd);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "--daemon ''{0}'' cannot start: {1}", cmd, e.getMessage());
        }
    }

    @Override
    public void close() {
        for (Process p : daemons) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : daemons)
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        daemons.clear();
    }
}
