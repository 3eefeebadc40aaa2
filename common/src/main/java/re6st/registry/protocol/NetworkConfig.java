package re6st.registry.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import re6st.net.Ipv4Text;
import re6st.pki.Rsa;

/**
 * The network configuration every node fetches with {@code getNetworkConfig}: the registry's
 * parameters, the CRL and the registry's own prefix, versioned and signed.
 *
 * <p>{@link #json()} is what the version depends on: Python's {@code json.dumps(kw,
 * sort_keys=True)} of {@code babel_default, crl, protocol, registry_prefix}, {@code ipv4} and
 * {@code ipv4_sublen} when set, {@code same_country} when set, and the six tunnel parameters,
 * byte for byte as the original stores it in {@code last_config}: the version is bumped when it
 * differs ({@link #changedFrom}), or on {@code updateHMAC}.
 *
 * <p>{@link #body} is the zlib-compressed JSON sent to one node: the same keys, plus
 * {@code "": ["version"]} (the keys whose values are base64), {@code version},
 * {@code valid_until} in an HMAC change window, and {@code babel_hmac_sign} /
 * {@code babel_hmac_accept}: the Babel MAC keys RSA-encrypted (PKCS#1 v1.5) to that node, base64,
 * {@code ""} for the empty key. Our base64 is one line (the original's Python 2 wrote MIME base64
 * with a '\n' every 76 characters; every client decodes both).
 */
public record NetworkConfig(Parameters parameters, List<Long> crl, String registryPrefix) {
    /** Registry protocol (re6st version.protocol). */
    public static final int PROTOCOL = 10;
    public static final String BABEL_DEFAULT = "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125";
    /** Inflating a body stops here: a real one is a few KB (a CRL of 100,000 serials is about 1 MB of JSON). */
    public static final int MAX_JSON_BYTES = 16 << 20;

    /**
     * The registry's command-line parameters that nodes follow.
     *
     * @param ipv4        {@code "IP/N"} of {@code --ipv4}, or null
     * @param ipv4Sublen  {@code PLEN} of {@code --ipv4} (ignored without ipv4)
     * @param sameCountry {@code --same-country} codes in command-line order; null or empty: not set
     */
    public record Parameters(int clientCount, boolean encrypt, int hello, int maxClients, int minProtocol,
            int tunnelRefresh, String ipv4, int ipv4Sublen, List<String> sameCountry) {
        public Parameters {
            if (ipv4 != null) {
                int slash = ipv4.indexOf('/');
                if (slash < 0 || !ipv4.substring(slash + 1).matches("[0-9]{1,2}")
                        || Integer.parseInt(ipv4.substring(slash + 1)) > 32)
                    throw new IllegalArgumentException("--ipv4 network '" + ipv4 + "': expected IP/N");
                Ipv4Text.parse(ipv4.substring(0, slash));
            } else {
                ipv4Sublen = 0; // meaningless without ipv4
            }
            sameCountry = sameCountry == null || sameCountry.isEmpty() ? null : List.copyOf(sameCountry);
        }

        /** The original's defaults: 10 clients, no encrypt, hello 15 s, 2 x 10 max clients, min protocol 1, refresh 300 s. */
        public static Parameters defaults() {
            return new Parameters(10, false, 15, 20, 1, 300, null, 0, null);
        }
    }

    public NetworkConfig {
        if (parameters == null)
            throw new IllegalArgumentException("parameters are null");
        crl = crl == null ? List.of() : crl.stream().sorted().toList(); // the original's ORDER BY serial
    }

    /** The keys the version depends on, as the original's {@code kw} before '' and version. */
    private Map<String, Object> versionedKeys() {
        Map<String, Object> kw = new LinkedHashMap<>();
        kw.put("babel_default", BABEL_DEFAULT);
        kw.put("crl", crl);
        kw.put("protocol", PROTOCOL);
        kw.put("registry_prefix", registryPrefix);
        if (parameters.ipv4() != null) {
            kw.put("ipv4", parameters.ipv4());
            kw.put("ipv4_sublen", parameters.ipv4Sublen());
        }
        if (parameters.sameCountry() != null)
            kw.put("same_country", parameters.sameCountry());
        kw.put("client_count", parameters.clientCount());
        kw.put("encrypt", parameters.encrypt());
        kw.put("hello", parameters.hello());
        kw.put("max_clients", parameters.maxClients());
        kw.put("min_protocol", parameters.minProtocol());
        kw.put("tunnel_refresh", parameters.tunnelRefresh());
        return kw;
    }

    /** {@code json.dumps(kw, sort_keys=True)}: the {@code last_config} text. */
    public String json() {
        return PythonJson.dumps(versionedKeys());
    }

    /** Whether the version must be bumped: the stored {@code last_config} (null if none) is not {@link #json()}. */
    public boolean changedFrom(String lastConfig) {
        return !json().equals(lastConfig);
    }

    /** The uncompressed JSON for one node (see the class comment); keys sorted. */
    public String bodyJson(NetworkVersion version, BabelHmacKeys hmac, PublicKey node) {
        Map<String, Object> kw = versionedKeys();
        kw.put("", List.of("version"));
        kw.put("version", version.base64());
        hmac.validUntil().ifPresent(t -> kw.put(BabelHmacKeys.VALID_UNTIL, t));
        List<Optional<byte[]>> keys = new ArrayList<>(List.of(hmac.sign(), hmac.accept()));
        String[] names = {"babel_hmac_sign", "babel_hmac_accept"};
        for (int i = 0; i < 2; i++) {
            Optional<byte[]> k = keys.get(i);
            if (k.isPresent())
                kw.put(names[i], k.get().length == 0 ? "" : Base64.getEncoder().encodeToString(Rsa.encrypt(node, k.get())));
        }
        return PythonJson.dumps(kw);
    }

    /** The {@code getNetworkConfig} result: {@link #bodyJson} compressed with zlib (level 6, as Python's default). */
    public byte[] body(NetworkVersion version, BabelHmacKeys hmac, PublicKey node) {
        return compress(bodyJson(version, hmac, node).getBytes(StandardCharsets.US_ASCII));
    }

    public static byte[] compress(byte[] data) {
        Deflater d = new Deflater(6);
        try {
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
            byte[] buf = new byte[8192];
            while (!d.finished())
                out.write(buf, 0, d.deflate(buf));
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    /**
     * The JSON text of a {@code getNetworkConfig} result (a node's side), at most
     * {@link #MAX_JSON_BYTES}.
     *
     * @throws IllegalArgumentException if it is not zlib data, is truncated, or inflates beyond the limit
     */
    public static String decompress(byte[] body) {
        Inflater inf = new Inflater();
        try {
            inf.setInput(body);
            ByteArrayOutputStream out = new ByteArrayOutputStream(body.length * 4 + 64);
            byte[] buf = new byte[8192];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary()))
                    throw new IllegalArgumentException("network config: truncated zlib data");
                out.write(buf, 0, n);
                if (out.size() > MAX_JSON_BYTES)
                    throw new IllegalArgumentException("network config inflates beyond " + MAX_JSON_BYTES + " bytes");
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("network config: not zlib data (" + e.getMessage() + ")");
        } finally {
            inf.end();
        }
    }
}
