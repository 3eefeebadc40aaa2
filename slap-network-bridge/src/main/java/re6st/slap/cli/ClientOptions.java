package re6st.slap.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import picocli.CommandLine.Option;
import re6st.cli.CommandFailure;
import re6st.slap.client.SlapClient;

/**
 * Where the master is, as {@code slapos} finds it: {@code --master-url}, else {@code master_url}
 * in the {@code [slapos]} section of {@code --cfg}, of {@code $SLAPOS_CLIENT_CONFIGURATION}, or
 * of {@code ~/.slapos/slapos-client.cfg}.
 */
public final class ClientOptions {
    @Option(names = "--cfg", paramLabel = "FILE",
            description = "The client configuration (default: $SLAPOS_CLIENT_CONFIGURATION, else ~/.slapos/slapos-client.cfg): "
                    + "an INI file whose [slapos] section has master_url = http://[ADDRESS]:PORT.")
    Path cfg;

    @Option(names = "--master-url", paramLabel = "URL", description = "The master, e.g. http://[2001:db8:42::1]:8080 (overrides the configuration).")
    String masterUrl;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "How long to wait for the master (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** The configuration file this command reads, and why it is that one. */
    Path configFile() {
        if (cfg != null)
            return cfg;
        String env = System.getenv("SLAPOS_CLIENT_CONFIGURATION");
        if (env != null && !env.isEmpty())
            return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".slapos", "slapos-client.cfg");
    }

    String masterUrl() {
        if (masterUrl != null)
            return masterUrl;
        Path f = configFile();
        List<String> lines;
        try {
            lines = Files.readAllLines(f);
        } catch (IOException e) {
            throw CommandFailure.usage("no master: give --master-url, or write master_url in the [slapos] section of " + f
                    + " (or point $SLAPOS_CLIENT_CONFIGURATION or --cfg to such a file)", e);
        }
        String url = ini(lines, "slapos", "master_url");
        if (url == null || url.isBlank())
            throw CommandFailure.usage(f + ": no master_url in its [slapos] section");
        return url.trim();
    }

    /** {@code key} of {@code [section]} in an INI file ({@code key = value} or {@code key: value}; {@code #} and {@code ;} comments). */
    static String ini(List<String> lines, String section, String key) {
        String current = null;
        for (String raw : lines) {
            String l = raw.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";"))
                continue;
            if (l.startsWith("[") && l.endsWith("]")) {
                current = l.substring(1, l.length() - 1).strip();
                continue;
            }
            int eq = l.indexOf('='), colon = l.indexOf(':');
            int sep = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
            if (sep < 0 || !section.equals(current))
                continue;
            if (l.substring(0, sep).strip().equals(key))
                return l.substring(sep + 1).strip();
        }
        return null;
    }

    SlapClient client() {
        if (timeoutSeconds <= 0)
            throw CommandFailure.usage("--timeout must be positive, got " + timeoutSeconds);
        String url = masterUrl();
        try {
            return new SlapClient(url, Duration.ofSeconds(timeoutSeconds));
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage(e.getMessage());
        }
    }
}
