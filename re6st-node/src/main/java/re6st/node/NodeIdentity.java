package re6st.node;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Set;

import re6st.cli.CommandFailure;
import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.pki.Certificates;
import re6st.registry.client.NodeSession;
import re6st.tunnel.handshake.Credentials;

/**
 * Who this node is (startup step 1): the network CA, our certificate and key as {@code re6st conf}
 * wrote them. The certificate must be the CA's and match the key; an expired one still loads (the
 * node must be able to renew it), with a warning from the caller. The network is the CA's serial,
 * our prefix the certificate's CN.
 */
public record NodeIdentity(X509Certificate ca, X509Certificate cert, PrivateKey key, Network network, NodePrefix prefix) {

    public static NodeIdentity load(Path ca, Path cert, Path key) throws IOException {
        X509Certificate c, mine;
        PrivateKey k;
        try {
            c = Certificates.readCertificate(ca);
            mine = Certificates.readCertificate(cert);
            k = Certificates.readRsaPrivateKey(key);
        } catch (IOException e) { // a missing or bad file: the configuration must change (exit 2, as re6st tunnel)
            throw CommandFailure.usage(e);
        }
        try {
            mine.verify(c.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw CommandFailure.usage("--cert " + cert + " is not signed by the network CA in --ca " + ca
                    + " (a certificate of another network? run 're6st conf' again)");
        }
        if (!(mine.getPublicKey() instanceof RSAPublicKey pub) || !(k instanceof java.security.interfaces.RSAPrivateKey rk)
                || !pub.getModulus().equals(rk.getModulus()))
            throw CommandFailure.usage("--key " + key + " is not the key of --cert " + cert);
        NodePrefix prefix;
        try {
            prefix = Certificates.nodePrefix(mine);
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage("--cert " + cert + ": " + e.getMessage());
        }
        Network network;
        try {
            network = Network.fromCaSerial(c.getSerialNumber());
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage("--ca " + ca + " is not a re6st network CA (its serial names no network): " + e.getMessage());
        }
        return new NodeIdentity(c, mine, k, network, prefix);
    }

    /** Our CN, e.g. {@code 7/16}. */
    public String cn() {
        return prefix.cn();
    }

    public boolean expired(Instant now) {
        return cert.getNotAfter().toInstant().isBefore(now);
    }

    /** The registry session of this node (its prefix, our key, the CA's key). */
    public NodeSession registrySession() {
        return new NodeSession(prefix.bits(), key, ca.getPublicKey());
    }

    /** For the tunnels and the peer protocol, with the serials the network config revokes. */
    public Credentials credentials(Set<BigInteger> revoked) {
        return new Credentials(ca, cert, key, null, revoked);
    }

    public NodeAddressing addressing(String mainInterface) {
        return NodeAddressing.of(network, prefix, mainInterface);
    }
}
