package re6st.netsim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU time and resident memory of a running process, read from {@code /proc/PID/stat} and
 * {@code /proc/PID/status} (e.g. the tunnel endpoints of a benchmark, by {@link NsProcess#pid}).
 */
public final class ProcStats {
    private static volatile long clockTicks;

    private ProcStats() {}

    /** User plus system CPU seconds used so far by all threads of {@code pid} (not its children). */
    public static double cpuSeconds(long pid) {
        String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        // Field 2 (comm) is in parentheses and may hold spaces: split after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // f[0] is field 3 (state): utime is field 14, stime field 15.
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return ticks / (double) clockTicks();
    }

    /** The resident set size of {@code pid} in bytes ({@code VmRSS}). */
    public static long rssBytes(long pid) {
        for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n"))
            if (line.startsWith("VmRSS:"))
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
        throw new IllegalStateException("no VmRSS for pid " + pid + " (a kernel thread or a zombie?)");
    }

    /**
     * A counter of {@code /proc/net/snmp} in namespace {@code ns}: {@code protocol} is the line's
     * name ("Udp", "Tcp", "Ip"...), {@code field} the column (e.g. "RcvbufErrors", "InCsumErrors").
     */
    public static long snmp(Namespace ns, String protocol, String field) {
        String[] lines = ns.run("cat", "/proc/net/snmp").output().split("\n");
        String prefix = protocol + ":";
        for (int i = 0; i + 1 < lines.length; i++)
            if (lines[i].startsWith(prefix) && lines[i + 1].startsWith(prefix)) {
                String[] names = lines[i].split("\\s+"), values = lines[i + 1].split("\\s+");
                for (int k = 0; k < names.length; k++)
                    if (names[k].equals(field))
                        return Long.parseLong(values[k]);
            }
        throw new IllegalStateException("no " + protocol + " " + field + " in /proc/net/snmp");
    }

    /** Clock ticks per second of {@code /proc} times ({@code getconf CLK_TCK}, 100 on Linux). */
    public static long clockTicks() {
        long t = clockTicks;
        if (t == 0) {
            Cmd.Result r = Cmd.exec(Duration.ofSeconds(10), "getconf", "CLK_TCK");
            t = r.ok() ? Long.parseLong(r.output().strip()) : 100;
            clockTicks = t;
        }
        return t;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p + " (process gone?): " + e.getMessage(), e);
        }
    }
}
