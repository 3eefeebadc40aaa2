package re6st.node.cache;

import java.time.Instant;

/**
 * The network configuration as last fetched and verified: the raw {@code getNetworkConfig} result
 * (zlib JSON, see re6st.registry.protocol.NetworkConfig), kept as received so that its signed
 * {@code version} can be verified again at the next start, and when it was fetched.
 */
public record StoredConfig(byte[] body, Instant fetched) {
    public StoredConfig {
        if (body == null || body.length == 0)
            throw new IllegalArgumentException("empty network config");
        if (fetched == null)
            throw new IllegalArgumentException("no fetch time");
        body = body.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredConfig c && java.util.Arrays.equals(body, c.body) && fetched.equals(c.fetched);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(body) * 31 + fetched.hashCode();
    }
}
