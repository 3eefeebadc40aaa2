package re6st.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemons' {@code -v} on java.util.logging (which System.Logger uses): 0 warnings, 1 what
 * happens (the default), 2 details (decisions, protocol exchanges), 3 and more everything. Sets the
 * root logger and its handlers; returns the level, for a handler added later (a log file).
 */
public final class LogLevel {
    private LogLevel() {}

    public static Level apply(int verbose) {
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
        return level;
    }
}
