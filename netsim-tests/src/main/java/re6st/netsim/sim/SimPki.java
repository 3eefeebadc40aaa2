package re6st.netsim.sim;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import re6st.net.NodePrefix;
import re6st.pki.CaSigner;
import re6st.pki.Rsa;
import re6st.registry.protocol.NetworkVersion;
import re6st.tunnel.handshake.Credentials;

/**
 * The simulated network's CA and its nodes' certificates, for the real peer protocol (its
 * handshake verifies certificates and exchanges RSA-encrypted secrets). Every node shares one
 * 1024-bit key pair: a thousand 2048-bit keys would take a minute to make, and the protocol
 * only needs each certificate to name its node prefix. Valid around {@link #T0}, the epoch time
 * at which the virtual clock starts.
 */
final class SimPki implements CaSigner {
    /** Epoch ms of virtual time 0 (certificates are checked against epoch time). */
    static final long T0 = 1_800_000_000_000L;
    private static final long YEAR_MS = 365L * 86_400_000L;
    private final KeyPair caKeys, nodeKeys;
    private final X509Certificate caCert;
    private long serial = 1;

    SimPki(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(1024, r);
            caKeys = g.generateKeyPair();
            nodeKeys = g.generateKeyPair();
            caCert = cert("CN=ca", caKeys, serial++);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the simulation's CA", e);
        }
    }

    /** The credentials of the node with this prefix. */
    Credentials node(NodePrefix prefix) {
        try {
            return new Credentials(caCert, cert("CN=" + prefix.cn(), nodeKeys, ++serial), nodeKeys.getPrivate(), null);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot certify " + prefix.cn(), e);
        }
    }

    /** Network version {@code n}, signed (what peers exchange as code 0 after a handshake). */
    byte[] version(long n) {
        return NetworkVersion.signed(n, this).encoded();
    }

    @Override
    public PublicKey publicKey() {
        return caKeys.getPublic();
    }

    @Override
    public byte[] sign(byte[] data) {
        return Rsa.sign(caKeys.getPrivate(), data);
    }

    private X509Certificate cert(String subject, KeyPair subjectKeys, long serial) throws GeneralSecurityException, OperatorCreationException {
        var b = new JcaX509v3CertificateBuilder(new X500Name("CN=ca"), BigInteger.valueOf(serial), new Date(T0 - YEAR_MS),
                new Date(T0 + YEAR_MS), new X500Name(subject), subjectKeys.getPublic());
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
    }
}
