package re6st.registry.client;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;

import re6st.pki.Rsa;
import re6st.registry.protocol.HelloResponse;
import re6st.registry.protocol.HmacChain;

/**
 * A node's authenticated session with the registry (the original client's side of hello and
 * the HMAC chain): {@code hello} gets K encrypted to our key and signed by the CA; each call
 * spends the current key (the next is SHA1(SHA1(K))) and checks the response's HMAC.
 */
public final class NodeSession implements RegistryClient.Session {
    /** The protocol we speak. */
    public static final String PROTOCOL = "10";

    private final String cn;
    private final PrivateKey nodeKey;
    private final PublicKey caKey;
    private HmacChain chain;
    private HmacChain.Step pending;
    private long hellos;

    private final String protocol;

    /** @param cn our binary prefix */
    public NodeSession(String cn, PrivateKey nodeKey, PublicKey caKey) {
        this(cn, nodeKey, caKey, PROTOCOL);
    }

    /** A session that announces another protocol version in its hello (what the registry sends depends on it). */
    public NodeSession(String cn, PrivateKey nodeKey, PublicKey caKey, String protocol) {
        this.cn = cn;
        this.nodeKey = nodeKey;
        this.caKey = caKey;
        this.protocol = protocol;
    }

    /** Opens what the registry encrypted to this node's key (getBootstrapPeer, Babel keys). */
    public byte[] decrypt(byte[] cipherText) throws IOException {
        try {
            return re6st.pki.Rsa.decrypt(nodeKey, cipherText);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot decrypt the registry's answer with our key: " + e.getMessage(), e);
        }
    }

    @Override
    public String cn() {
        return cn;
    }

    @Override
    public synchronized String sign(RegistryClient client, String pathWithQuery) throws IOException {
        if (chain == null) {
            byte[] r = client.call("hello", RegistryClient.params("client_prefix", cn, "protocol", protocol));
            try {
                chain = new HmacChain(HelloResponse.open(r, caKey, nodeKey));
            } catch (GeneralSecurityException e) {
                throw new IOException("hello: the registry's answer does not verify with the CA or our key: " + e.getMessage(), e);
            }
            hellos++;
        }
        pending = chain.step(pathWithQuery);
        return pending.requestHeader();
    }

    @Override
    public synchronized boolean verify(String hmacHeader, byte[] body) {
        return pending != null && pending.responseValid(body, hmacHeader);
    }

    @Override
    public synchronized void reset() {
        chain = null;
        pending = null;
    }

    /** How many hellos this session made (one at first, one more after each registry restart). */
    public synchronized long hellos() {
        return hellos;
    }
}
