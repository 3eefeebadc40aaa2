package re6st.node.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import re6st.cli.CommandFailure;

/** Reads {@code --client HOST,PORT,PROTO[;...]} (the original's address list, host names allowed: they are resolved when dialling). */
final class ClientRemotes {
    private ClientRemotes() {}

    /** The remotes whose protocol is not disabled, in order; a malformed entry or nothing left is a usage error. */
    static List<NodeSettings.Remote> parse(String text, Set<String> disabled) {
        List<NodeSettings.Remote> out = new ArrayList<>();
        for (String entry : text.split(";", -1)) {
            String[] f = entry.split(",", -1);
            String where = "--client: '" + entry + "'";
            if (f.length != 3 || f[0].isBlank())
                throw CommandFailure.usage(where + ": expected HOST,PORT,PROTO (e.g. 198.51.100.2,1194,udp), entries separated by ';'");
            if (!NodeSettings.PROTOCOLS.contains(f[2]))
                throw CommandFailure.usage(where + ": the protocol must be udp, tcp, udp6 or tcp6");
            NodeSettings.Remote r = new NodeSettings.Remote(f[0], port(f[1], where), f[2]);
            if (!disabled.contains(r.protocol()))
                out.add(r);
        }
        if (out.isEmpty())
            throw CommandFailure.usage("--disable-proto disables every address given by --client " + text);
        return out;
    }

    static int port(String text, String where) {
        if (text.matches("[0-9]{1,5}")) {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= 65535)
                return n;
        }
        throw CommandFailure.usage(where + ": port " + text + " is not a number from 1 to 65535");
    }
}
