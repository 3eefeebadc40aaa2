package re6st.netsim;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The programs and devices the namespace harness runs on, and the Debian package of each. */
public final class Prerequisites {
    private Prerequisites() {}

    /** Command -> Debian package: what TestNet, WanLink and Ping run. */
    public static final Map<String, String> HARNESS = orderedMap("ip", "iproute2", "ping", "iputils-ping", "sysctl", "procps");

    /** "ping (apt-get install iputils-ping)" for each command of {@code needed} not on the PATH, and the TUN device if absent. */
    public static List<String> missing(Map<String, String> needed) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : needed.entrySet())
            if (!onPath(e.getKey()))
                out.add(e.getKey() + " (apt-get install " + e.getValue() + ")");
        if (!Files.exists(Path.of("/dev/net/tun")))
            out.add("/dev/net/tun (load the tun module: modprobe tun)");
        return out;
    }

    /** True if {@code command} is an executable file in a directory of $PATH (or where root's tools live). */
    public static boolean onPath(String command) {
        return which(command) != null;
    }

    /** The path of {@code command} in $PATH (or /usr/local/sbin, /usr/sbin, /sbin, where root's tools live), or null. */
    public static String which(String command) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin"));
        for (String d : dirs)
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command)))
                return d + "/" + command;
        return null;
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2)
            m.put(kv[i], kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }
}
