package re6st.registry.protocol;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import re6st.pki.Rsa;

/**
 * A {@code getNetworkConfig} answer as a node reads it (the other side of {@link NetworkConfig#body}):
 * the parameters the node follows, the CRL, the registry's prefix, the version (its CA signature
 * checked) and the Babel MAC keys (decrypted with the node's key). Anything malformed, unsigned
 * or undecryptable is refused as a whole with the reason: a node keeps its previous config then.
 *
 * @param body       the answer as received (zlib), kept so the node cache can re-verify it at start
 * @param hmacSign   the key to sign Babel packets with; empty array: do not sign; absent: no MAC at all
 * @param hmacAccept a key also accepted; empty array: accept unsigned packets; absent: none
 * @param validUntil end of an HMAC change window (epoch seconds), if one is open
 */
public record ReceivedNetworkConfig(NetworkConfig config, NetworkVersion version, String babelDefault, int protocol,
        Optional<byte[]> hmacSign, Optional<byte[]> hmacAccept, OptionalLong validUntil, byte[] body) {

    /** Why a config was refused. */
    public static final class InvalidConfigException extends IOException {
        private static final long serialVersionUID = 1L;

        public InvalidConfigException(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).build()).build());

    public ReceivedNetworkConfig {
        body = body.clone();
    }

    /**
     * Reads and checks {@code body}.
     *
     * @param ca      the network CA's key: the version must carry its signature
     * @param nodeKey our private key: the Babel MAC keys are encrypted to us
     */
    public static ReceivedNetworkConfig parse(byte[] body, PublicKey ca, PrivateKey nodeKey) throws InvalidConfigException {
        String text;
        try {
            text = NetworkConfig.decompress(body);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(e.getMessage());
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException("network config: not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject())
            throw new InvalidConfigException("network config: not a JSON object");
        NetworkVersion version;
        try {
            version = NetworkVersion.verify(NetworkVersion.base64Decode(text(root, "version")), ca);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new InvalidConfigException("network config: " + e.getMessage());
        }
        NetworkConfig.Parameters p;
        try {
            p = new NetworkConfig.Parameters(integer(root, "client_count"), bool(root, "encrypt"), integer(root, "hello"),
                    integer(root, "max_clients"), integer(root, "min_protocol"), integer(root, "tunnel_refresh"),
                    root.has("ipv4") ? text(root, "ipv4") : null, root.has("ipv4") ? integer(root, "ipv4_sublen") : 0,
                    root.has("same_country") ? strings(root, "same_country") : null);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("network config: " + e.getMessage());
        }
        if (p.hello() <= 0 || p.clientCount() < 0 || p.maxClients() < 0 || p.tunnelRefresh() <= 0)
            throw new InvalidConfigException("network config: hello " + p.hello() + ", client_count " + p.clientCount()
                    + ", max_clients " + p.maxClients() + ", tunnel_refresh " + p.tunnelRefresh() + ": out of range");
        String registryPrefix = text(root, "registry_prefix");
        if (!registryPrefix.matches("[01]{1,128}"))
            throw new InvalidConfigException("network config: registry_prefix '" + registryPrefix + "' is not a binary prefix");
        List<Long> crl = new ArrayList<>();
        JsonNode c = root.get("crl");
        if (c == null || !c.isArray())
            throw new InvalidConfigException("network config: crl is missing or not a list");
        for (JsonNode n : c) {
            if (!n.canConvertToLong() || n.asLong() < 0)
                throw new InvalidConfigException("network config: crl holds '" + n + "', not a serial");
            crl.add(n.asLong());
        }
        OptionalLong validUntil = root.has(BabelHmacKeys.VALID_UNTIL)
                ? OptionalLong.of(number(root, BabelHmacKeys.VALID_UNTIL)) : OptionalLong.empty();
        return new ReceivedNetworkConfig(new NetworkConfig(p, crl, registryPrefix), version,
                root.has("babel_default") ? text(root, "babel_default") : NetworkConfig.BABEL_DEFAULT,
                integer(root, "protocol"), key(root, "babel_hmac_sign", nodeKey), key(root, "babel_hmac_accept", nodeKey),
                validUntil, body);
    }

    /** Whether our certificate serial (or a peer's) is revoked by this config. */
    public boolean revoked(long serial) {
        return config.crl().contains(serial);
    }

    /** Parameters whose change needs the node to restart (spec/node-behaviour.md, network config propagation). */
    public boolean needsRestartFrom(ReceivedNetworkConfig old) {
        NetworkConfig.Parameters a = config.parameters(), b = old.config.parameters();
        return !babelDefault.equals(old.babelDefault) || a.encrypt() != b.encrypt() || a.hello() != b.hello()
                || !java.util.Objects.equals(a.ipv4(), b.ipv4()) || a.ipv4Sublen() != b.ipv4Sublen()
                || a.clientCount() != b.clientCount() || a.maxClients() != b.maxClients()
                || !java.util.Objects.equals(a.sameCountry(), b.sameCountry()) || a.tunnelRefresh() != b.tunnelRefresh();
    }

    /** Whether the Babel MAC keys differ (followed without a restart: the daemon swaps its MAC policy). */
    public boolean macKeysChangedFrom(ReceivedNetworkConfig old) {
        return !same(hmacSign, old.hmacSign) || !same(hmacAccept, old.hmacAccept);
    }

    private static boolean same(Optional<byte[]> a, Optional<byte[]> b) {
        return a.isPresent() == b.isPresent() && (a.isEmpty() || Arrays.equals(a.get(), b.get()));
    }

    private static Optional<byte[]> key(JsonNode root, String name, PrivateKey nodeKey) throws InvalidConfigException {
        if (!root.has(name) || root.get(name).isNull())
            return Optional.empty();
        String b64 = text(root, name);
        if (b64.isEmpty())
            return Optional.of(new byte[0]);
        try {
            byte[] k = Rsa.decrypt(nodeKey, NetworkVersion.base64Decode(b64));
            if (k.length != BabelHmacKeys.KEY_LENGTH)
                throw new InvalidConfigException("network config: " + name + " has " + k.length + " bytes, not " + BabelHmacKeys.KEY_LENGTH);
            return Optional.of(k);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new InvalidConfigException("network config: " + name + " cannot be decrypted with our key (was it sent to another node?)");
        }
    }

    private static JsonNode field(JsonNode root, String name) throws InvalidConfigException {
        JsonNode n = root.get(name);
        if (n == null || n.isNull())
            throw new InvalidConfigException("network config: '" + name + "' is missing");
        return n;
    }

    private static String text(JsonNode root, String name) throws InvalidConfigException {
        JsonNode n = field(root, name);
        if (!n.isTextual())
            throw new InvalidConfigException("network config: '" + name + "' is " + n.getNodeType() + ", not text");
        return n.asText();
    }

    private static long number(JsonNode root, String name) throws InvalidConfigException {
        JsonNode n = field(root, name);
        if (!n.isIntegralNumber() || !n.canConvertToLong())
            throw new InvalidConfigException("network config: '" + name + "' is '" + n + "', not an integer");
        return n.asLong();
    }

    private static int integer(JsonNode root, String name) throws InvalidConfigException {
        long v = number(root, name);
        if (v != (int) v)
            throw new InvalidConfigException("network config: '" + name + "' = " + v + " is out of range");
        return (int) v;
    }

    private static boolean bool(JsonNode root, String name) throws InvalidConfigException {
        JsonNode n = field(root, name);
        if (n.isBoolean())
            return n.asBoolean();
        if (n.isIntegralNumber()) // Python's json writes True, but a registry may store 0/1
            return n.asLong() != 0;
        throw new InvalidConfigException("network config: '" + name + "' is '" + n + "', not a boolean");
    }

    private static List<String> strings(JsonNode root, String name) throws InvalidConfigException {
        JsonNode n = field(root, name);
        if (!n.isArray())
            throw new InvalidConfigException("network config: '" + name + "' is not a list");
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual())
                throw new InvalidConfigException("network config: '" + name + "' holds '" + e + "', not text");
            out.add(e.asText());
        }
        return out;
    }
}
