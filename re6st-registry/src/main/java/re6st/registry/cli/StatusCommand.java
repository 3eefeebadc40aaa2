package re6st.registry.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.pki.Pem;
import re6st.registry.Registry;
import re6st.registry.protocol.BabelHmacKeys;
import re6st.registry.protocol.NetworkVersion;
import re6st.registry.store.CertRow;
import re6st.registry.store.ConfigKey;
import re6st.registry.store.RegistryDb;
import re6st.registry.store.Token;

/**
 * {@code re6st registry status}: the state of a registry database at a glance, read-only, beside
 * a running registry (no lock taken). With {@code --ca}, prefixes are also shown as addresses.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a registry's state at a glance: its node, certificates (expiring, expired), free room, tokens, "
                + "CRL, network configuration version, Babel keys. Reads the database only; works while the registry runs.")
final class StatusCommand implements Callable<Integer> {
    static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Option(names = "--db", defaultValue = "/var/lib/re6stnet/registry.db", paramLabel = "FILE", description = "Database (default: ${DEFAULT-VALUE}).")
    Path db;

    @Option(names = "--ca", paramLabel = "FILE", description = "The network CA certificate (no key needed): shows the network and node addresses.")
    Path ca;

    @Option(names = "--prefix-length", defaultValue = "16", paramLabel = "N",
            description = "Count the free room in nodes of this prefix length (default: ${DEFAULT-VALUE}).")
    int prefixLength;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Network network = null;
        String caLine = null;
        if (ca != null) {
            try {
                X509Certificate c = Pem.parseCertificate(Files.readString(ca));
                network = Network.fromCaSerial(c.getSerialNumber());
                caLine = network + " (CA valid until " + DAY.format(c.getNotAfter().toInstant()) + ")";
            } catch (Exception e) {
                err.println("re6st registry status: --ca: " + re6st.cli.Failures.explain(e));
                return 2;
            }
        }
        Instant now = Instant.now();
        Network net = network;
        String caText = caLine;
        try (RegistryDb d = RegistryDb.openReadOnly(db)) {
            List<String> lines = d.read(tx -> {
                List<String> l = new java.util.ArrayList<>();
                l.add(row("database", d.file().toString()));
                if (caText != null)
                    l.add(row("network", caText));
                String own = tx.configText(ConfigKey.PREFIX).orElse("");
                l.add(row("registry node", own.isEmpty() ? "none yet (the first certificate issued becomes the registry's node)"
                        : node(own, net)));
                int issued = 0, anonymous = 0, soon = 0, expired = 0;
                Instant oldestExpired = null;
                for (CertRow c : tx.issuedCerts()) {
                    issued++;
                    if (c.email() == null)
                        anonymous++;
                    try {
                        Instant end = Pem.parseCertificate(c.cert()).getNotAfter().toInstant();
                        if (end.isBefore(now)) {
                            expired++;
                            oldestExpired = oldestExpired == null || end.isBefore(oldestExpired) ? end : oldestExpired;
                        } else if (end.isBefore(now.plusSeconds(30 * 86400L)))
                            soon++;
                    } catch (java.security.cert.CertificateException e) {
                        l.add(row("WARNING", "unreadable certificate for prefix " + c.prefix() + ": " + e.getMessage()));
                    }
                }
                l.add(row("certificates", issued + " issued (" + anonymous + " anonymous, " + (issued - anonymous) + " by mail); "
                        + soon + " expire within 30 days; " + expired + " expired"
                        + (oldestExpired != null ? " (oldest " + DAY.format(oldestExpired) + "; freed after the grace period)" : "")));
                List<String> free = tx.freePrefixes();
                long reserved = tx.certs().stream().filter(CertRow::isReserved).count();
                java.math.BigInteger room = java.math.BigInteger.ZERO;
                for (String f : free)
                    if (f.length() <= prefixLength)
                        room = room.add(java.math.BigInteger.ONE.shiftLeft(prefixLength - f.length()));
                l.add(row("free", free.size() + " free prefixes, room for " + room + " more /" + prefixLength + " nodes; " + reserved
                        + " reserved"));
                List<Token> tokens = tx.tokens();
                l.add(row("tokens", tokens.isEmpty() ? "none waiting" : tokens.size() + " waiting (oldest "
                        + DAY.format(Instant.ofEpochSecond(tokens.stream().mapToLong(Token::date).min().getAsLong())) + ")"));
                l.add(row("CRL", tx.revokedSerials().size() + " revoked certificates not yet expired"));
                Optional<byte[]> v = tx.configBlob(ConfigKey.VERSION);
                l.add(row("network config", v.isEmpty() ? "no version yet" : "version " + NetworkVersion.decode(v.get()).number()));
                BabelHmacKeys k = Registry.hmacKeys(tx);
                l.add(row("Babel MAC keys", keys(k)));
                return l;
            });
            lines.forEach(out::println);
            out.flush();
            return 0;
        } catch (re6st.registry.store.RegistryDbException e) {
            err.println("re6st registry status: --db: " + e.getMessage()
                    + (e.getCause() != null ? ": " + re6st.cli.Failures.explain(e.getCause()) : ""));
            return 2;
        }
    }

    static String row(String name, String value) {
        return String.format("%-15s %s", name, value);
    }

    static String node(String bits, Network network) {
        NodePrefix p = new NodePrefix(bits);
        return p.cn() + (network != null ? "  " + network.subnet(p) + "  (address " + network.subnet(p).nodeAddress() + ")" : "");
    }

    static String keys(BabelHmacKeys k) {
        String sign = k.sign().map(b -> b.length == 0 ? "nothing (unsigned)" : "a key").orElse(null);
        String accept = k.accept().map(b -> b.length == 0 ? "unsigned packets too" : "a second key (rotation)").orElse(null);
        if (sign == null)
            return "none: Babel packets are not authenticated";
        return "sign with " + sign + (accept != null ? ", accept " + accept : "")
                + (k.validUntil().isPresent() ? ", change window until " + DAY.format(Instant.ofEpochSecond(k.validUntil().getAsLong())) : "");
    }
}
