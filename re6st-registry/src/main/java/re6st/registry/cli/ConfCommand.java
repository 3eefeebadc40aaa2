package re6st.registry.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import re6st.cli.CommandFailure;
import re6st.cli.Launcher;
import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.registry.client.RegistryClient;

/**
 * {@code re6st conf} (classic name {@code re6st-conf}): enrols this machine in a re6st network.
 * Fetches the CA from the registry (checking its fingerprint when given), makes an RSA key of
 * the CA key's size and a CSR, gets a token by mail (or uses the given one, or none with
 * --anonymous), requests the certificate, and writes ca.crt, cert.key (mode 0600), cert.crt and
 * a sample re6stnet.conf; prints the subnet it got.
 */
@Command(name = "re6st conf", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Enrol this machine in a re6st network: get a certificate (and so an IPv6 subnet) from its registry.",
            "Writes ca.crt, cert.key (private, mode 0600), cert.crt and a sample re6stnet.conf in --dir."},
        footer = {"", "Examples:", "  re6st conf --registry http://re6st.example.com/ --email me@example.com",
            "  re6st conf --registry http://re6st.example.com/ --token abcdefgh",
            "  re6st conf --registry http://re6st.example.com/ --anonymous"})
public final class ConfCommand implements Callable<Integer>, Launcher.Verbosity {
    @Option(names = "--registry", required = true, paramLabel = "URL", description = "The registry (e.g. http://re6st.example.com/).")
    URI registry;

    @Option(names = "--fingerprint", paramLabel = "ALG:HEX", description = "Check the CA certificate's fingerprint (e.g. sha256:ab12...).")
    String fingerprint;

    @Option(names = "--is-needed", description = "Only tell whether enrolment is needed: exit status 1 if this machine already "
            + "has an address in the network (re6st runs here, or behind a re6st router), 0 otherwise.")
    boolean isNeeded;

    @Option(names = "--ca-only", description = "Only fetch (and check) the CA certificate.")
    boolean caOnly;

    @Option(names = {"-d", "--dir"}, paramLabel = "DIR", defaultValue = ".", description = "Where to write the files (default: current directory).")
    Path dir;

    @Option(names = {"-r", "--req"}, arity = "2", paramLabel = "KEY VALUE", description = "Extra subject field of the request "
            + "(e.g. -r O MyOrg); CN and serialNumber are the registry's to choose.")
    List<String> req = new ArrayList<>();

    @Option(names = "--email", paramLabel = "ADDRESS", description = "Mail a token to this address, then ask for it.")
    String email;

    @Option(names = "--token", paramLabel = "TOKEN", description = "The token received by mail.")
    String token;

    @Option(names = "--anonymous", description = "Ask for a certificate without a token (the registry must allow it).")
    boolean anonymous;

    @Option(names = "--location", paramLabel = "CC,CT", defaultValue = "", description = "Country and continent codes, "
            + "for registries that allocate by location (default: the registry guesses from our address).")
    String location;

    @Option(names = {"-v", "--verbose"}, description = "On failure, print the stack trace too.")
    boolean verbose;

    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    public static void main(String[] args) {
        Launcher.main(new ConfCommand(), args);
    }

    @Override
    public boolean verbose() {
        return verbose;
    }

    /** Refusals, network and file errors are thrown: the launcher prints them as one line (re6st.cli.Launcher). */
    @Override
    public Integer call() throws Exception {
        if (anonymous && (token != null || email != null))
            throw CommandFailure.usage("--anonymous excludes --token and --email");
        Map<String, String> subject = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < req.size(); i += 2) {
            String k = req.get(i);
            if (k.equalsIgnoreCase("CN") || k.equalsIgnoreCase("serialNumber"))
                throw CommandFailure.usage("-r " + k + ": the registry chooses the CN and serialNumber");
            subject.put(k, req.get(i + 1));
        }
        RegistryClient client;
        try {
            client = new RegistryClient(registry);
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage("--registry", e);
        }
        Files.createDirectories(dir);
        byte[] caPem = client.getCa();
        X509Certificate ca = certificate(caPem, "the registry's CA");
        if (fingerprint != null && !fingerprintMatches(ca, fingerprint))
            throw CommandFailure.failed("the registry's CA does not have the fingerprint " + fingerprint
                    + ": is --registry the network you meant, or is someone in the way?");
        Network network = Network.fromCaSerial(ca.getSerialNumber());
        if (isNeeded)
            return alreadyInNetwork(network) ? 1 : 0;
        writeAtomically(dir.resolve("ca.crt"), caPem, false);
        if (caOnly)
            return 0;
        Path certPath = dir.resolve("cert.crt"), keyPath = dir.resolve("cert.key");
        if (Files.exists(certPath))
            throw CommandFailure.failed(certPath + " exists: remove it (and cert.key) to enrol again");

        int bits = ((RSAPublicKey) ca.getPublicKey()).getModulus().bitLength();
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(bits); // the registry's hello needs node keys of the CA key's size
        KeyPair kp = g.generateKeyPair();
        writeAtomically(keyPath, pem(kp.getPrivate()).getBytes(StandardCharsets.US_ASCII), true);
        X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
        for (Map.Entry<String, String> e : subject.entrySet()) {
            try {
                nb.addRDN(BCStyle.INSTANCE.attrNameToOID(e.getKey()), e.getValue());
            } catch (IllegalArgumentException x) {
                throw CommandFailure.usage("-r " + e.getKey() + ": unknown subject field (e.g. O, OU, C, emailAddress)");
            }
        }
        PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(nb.build(), kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA512withRSA").build(kp.getPrivate()));
        String csrPem = pem(csr);

        String t = anonymous ? "" : token;
        if (t == null) {
            String mail = email != null ? email : prompt("Please enter your email address: ");
            client.requestToken(mail);
            System.out.println("A token has been sent to " + mail + ".");
            t = prompt("Please enter your token: ");
        }
        byte[] certPem = client.requestCertificate(t, csrPem, location, "");
        if (certPem.length == 0)
            throw CommandFailure.failed(anonymous ? "the registry at " + client.shown() + " gives no anonymous certificate "
                    + "(ask its operator for a token, and use --email or --token)" : "the registry at " + client.shown()
                    + " does not know this token (mistyped, already used, or expired: ask for a new one with --email)");
        X509Certificate cert = certificate(certPem, "the certificate");
        try {
            cert.verify(ca.getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            throw CommandFailure.failed("the certificate from the registry is not signed by its CA", e);
        }
        if (!cert.getPublicKey().equals(kp.getPublic()))
            throw CommandFailure.failed("the registry returned a certificate for another key");
        writeAtomically(certPath, certPem, false);
        Path conf = dir.resolve("re6stnet.conf");
        if (!Files.exists(conf))
            writeAtomically(conf, sampleConf().getBytes(StandardCharsets.US_ASCII), false);
        NodePrefix node = re6st.pki.Certificates.nodePrefix(cert);
        System.out.println("Your subnet: " + network.subnet(node) + " (CN=" + node.cn() + ")");
        return 0;
    }

    private String sampleConf() {
        return "registry " + registry + "\nca " + dir.toAbsolutePath().resolve("ca.crt") + "\ncert "
                + dir.toAbsolutePath().resolve("cert.crt") + "\nkey " + dir.toAbsolutePath().resolve("cert.key")
                + "\n# increase re6stnet verbosity:\n#verbose 3\n";
    }

    private String prompt(String question) throws IOException {
        System.out.print(question);
        System.out.flush();
        String line = stdin.readLine();
        if (line == null || line.isBlank())
            throw CommandFailure.usage("no answer on standard input to: " + question.trim() + " (give --email or --token)");
        return line.trim();
    }

    static boolean fingerprintMatches(X509Certificate ca, String spec) throws Exception {
        int c = spec.indexOf(':');
        if (c < 1)
            throw CommandFailure.usage("--fingerprint: expected ALG:HEX, e.g. sha256:ab12...");
        String alg = spec.substring(0, c).toLowerCase(Locale.ROOT).replace("-", "");
        String javaAlg = switch (alg) {
            case "md5" -> "MD5";
            case "sha1" -> "SHA-1";
            case "sha224" -> "SHA-224";
            case "sha256" -> "SHA-256";
            case "sha384" -> "SHA-384";
            case "sha512" -> "SHA-512";
            default -> throw CommandFailure.usage("--fingerprint: unknown hash " + spec.substring(0, c)
                    + " (md5, sha1, sha224, sha256, sha384 or sha512)");
        };
        String got = HexFormat.of().formatHex(MessageDigest.getInstance(javaAlg).digest(ca.getEncoded()));
        return got.equalsIgnoreCase(spec.substring(c + 1).replace(":", ""));
    }

    /** The original: {@code ip -6 -o route get <network>}; we are in it if the source address chosen is in the network. */
    static boolean alreadyInNetwork(Network network) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "-6", "-o", "route", "get", network.prefix().address().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0)
            return false; // no route at all: not in the network
        String[] w = out.trim().split("\\s+");
        for (int i = 0; i + 1 < w.length; i++)
            if (w[i].equals("src"))
                return re6st.net.Ipv6Prefix.parse(w[i + 1] + "/128").bits().startsWith(network.bits());
        return false;
    }

    static X509Certificate certificate(byte[] pem, String what) throws IOException {
        try {
            return re6st.pki.Pem.parseCertificate(pem);
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(what + " is not an X.509 certificate: " + e.getMessage(), e);
        }
    }

    static String pem(Object o) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        return w.toString();
    }

    /** Writes through a temporary file renamed into place; {@code secret}: mode 0600 from the start. */
    static void writeAtomically(Path target, byte[] data, boolean secret) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret)
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, data);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
