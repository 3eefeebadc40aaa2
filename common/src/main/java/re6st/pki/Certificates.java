package re6st.pki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

import re6st.net.NodePrefix;

/**
 * A re6st certificate's identity and the files that hold certificates, CRLs and keys: the one
 * place that reads a subject CN ({@code "<prefix value>/<length>"} for nodes, as the registry
 * writes it) and loads these files with errors that name the file. Registry, tunnels and node
 * all use it.
 */
public final class Certificates {
    private Certificates() {
    }

    /** The subject's common name, or null when the subject has none or several. */
    public static String cn(X509Certificate cert) {
        RDN[] rdns = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()).getRDNs(BCStyle.CN);
        if (rdns.length != 1)
            return null;
        ASN1Encodable value = rdns[0].getFirst().getValue();
        return value instanceof ASN1String str ? str.getString() : IETFUtils.valueToString(value);
    }

    /**
     * The node prefix a node certificate was issued for, from its CN.
     *
     * @throws IllegalArgumentException if the subject has no single CN or it is not {@code VALUE/LENGTH}
     */
    public static NodePrefix nodePrefix(X509Certificate cert) {
        String cn = cn(cert);
        if (cn == null)
            throw new IllegalArgumentException("certificate " + cert.getSubjectX500Principal() + " has no single CN");
        return NodePrefix.parseCn(cn);
    }

    /** A certificate file, PEM or DER. */
    public static X509Certificate readCertificate(Path p) throws IOException {
        try {
            return Pem.parseCertificate(Files.readAllBytes(p));
        } catch (CertificateException | ClassCastException e) {
            throw new IOException(p + ": not an X.509 certificate (" + e.getMessage() + ")", e);
        }
    }

    /** A CRL file, PEM or DER. */
    public static X509CRL readCrl(Path p) throws IOException {
        try {
            return Pem.parseCrl(Files.readAllBytes(p));
        } catch (CRLException | CertificateException | ClassCastException e) {
            throw new IOException(p + ": not a CRL (" + e.getMessage() + ")", e);
        }
    }

    /** An unencrypted RSA private key file (PKCS#1 or PKCS#8 PEM). Errors never quote the file. */
    public static PrivateKey readRsaPrivateKey(Path p) throws IOException {
        try {
            return Pem.parseRsaPrivateKey(Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1));
        } catch (IllegalArgumentException e) {
            throw new IOException(p + ": " + e.getMessage(), e);
        }
    }
}
