package re6st.node.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code -v} of {@code re6st node} on java.util.logging (which System.Logger uses), as {@code re6st
 * registry} does: 0 warnings, 1 what happens (tunnels, config versions: the default), 2 the tunnel
 * manager's decisions and the peer protocol's details, 3 and 4 everything.
 */
final class NodeLogging {
    private NodeLogging() {}

    static void configure(int verbose) {
        Level level = switch (Math.max(0, Math.min(3, verbose))) {
            case 0 -> Level.WARNING;
            case 1 -> Level.INFO;
            case 2 -> Level.FINE;
            default -> Level.ALL;
        };
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        for (Handler h : root.getHandlers())
            h.setLevel(level);
    }
}
