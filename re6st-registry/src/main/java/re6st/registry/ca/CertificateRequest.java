package re6st.registry.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

import re6st.pki.Pem;
import re6st.registry.ca.BadCsrException.Reason;

/**
 * A node's certificate request (PKCS#10, PEM) that passed every check the registry makes
 * before signing it: a well-formed CSR whose key is RSA of the CA key's size (the hello
 * response is the node-encrypted secret followed by the CA signature, both of one key length)
 * and whose signature verifies with that key; its subject has neither a CN nor a serialNumber,
 * which the registry writes (clients may not choose them). Checks run in that order, the cheap
 * ones first, so an oversized key is refused before any RSA work.
 */
public final class CertificateRequest {
    /** Larger than any real CSR (a 16384-bit one is about 5 KB), small enough to parse. */
    public static final int MAX_PEM_LENGTH = 65_536;
    /** DER nesting allowed in a request (a real one nests about 7 deep): bounds the parser's recursion. */
    static final int MAX_DER_DEPTH = 32;

    private final X500Name subject;
    private final SubjectPublicKeyInfo publicKeyInfo;
    private final RSAPublicKey publicKey;

    private CertificateRequest(X500Name subject, SubjectPublicKeyInfo publicKeyInfo, RSAPublicKey publicKey) {
        this.subject = subject;
        this.publicKeyInfo = publicKeyInfo;
        this.publicKey = publicKey;
    }

    /** The subject the client asked for (no CN, no serialNumber). */
    public X500Name subject() {
        return subject;
    }

    /** The key exactly as encoded in the request. */
    public SubjectPublicKeyInfo publicKeyInfo() {
        return publicKeyInfo;
    }

    public RSAPublicKey publicKey() {
        return publicKey;
    }

    /**
     * Parses and checks a PEM CSR for a network whose CA key has {@code keyBits} bits.
     *
     * @throws BadCsrException for any input that is not an acceptable request, and nothing else
     */
    public static CertificateRequest parse(String pem, int keyBits) throws BadCsrException {
        if (pem == null)
            throw new BadCsrException(Reason.MALFORMED_PEM, "no certificate request");
        if (pem.length() > MAX_PEM_LENGTH)
            throw new BadCsrException(Reason.TOO_LARGE, "certificate request of " + pem.length()
                    + " characters, more than " + MAX_PEM_LENGTH);
        Pem.Block block;
        try {
            block = Pem.decode(pem);
        } catch (IllegalArgumentException e) {
            throw new BadCsrException(Reason.MALFORMED_PEM, "malformed certificate request: " + e.getMessage());
        }
        if (!block.label().equals("CERTIFICATE REQUEST") && !block.label().equals("NEW CERTIFICATE REQUEST"))
            throw new BadCsrException(Reason.NOT_A_CSR, "PEM block is " + block.label() + ", not a CERTIFICATE REQUEST");

        CertificationRequest csr;
        SubjectPublicKeyInfo spki;
        X500Name subject;
        List<ASN1ObjectIdentifier> subjectTypes = new ArrayList<>();
        try {
            checkDer(block.der(), "request");
            csr = CertificationRequest.getInstance(ASN1Primitive.fromByteArray(block.der()));
            CertificationRequestInfo info = csr.getCertificationRequestInfo();
            if (info == null || csr.getSignatureAlgorithm() == null || csr.getSignature() == null)
                throw new IllegalArgumentException("incomplete request");
            spki = info.getSubjectPublicKeyInfo();
            subject = info.getSubject();
            if (spki == null || subject == null)
                throw new IllegalArgumentException("no subject or no key");
            for (RDN rdn : subject.getRDNs())
                for (AttributeTypeAndValue atv : rdn.getTypesAndValues())
                    subjectTypes.add(atv.getType());
        } catch (IOException | RuntimeException e) {
            throw new BadCsrException(Reason.NOT_A_CSR, "not a PKCS#10 certificate request (" + e.getMessage() + ")");
        }

        RSAPublicKey key = rsaKey(spki, keyBits);

        boolean valid;
        try {
            valid = new PKCS10CertificationRequest(csr).isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
        } catch (Exception e) { // unknown algorithm, wrong length, parameters: BouncyCastle and the JDK throw many kinds
            throw new BadCsrException(Reason.BAD_SIGNATURE, "cannot verify the certificate request's signature (algorithm "
                    + csr.getSignatureAlgorithm().getAlgorithm() + "): " + e.getMessage());
        }
        if (!valid)
            throw new BadCsrException(Reason.BAD_SIGNATURE, "the certificate request's signature does not verify with its key");

        for (ASN1ObjectIdentifier type : subjectTypes) {
            if (type.equals(BCStyle.CN))
                throw new BadCsrException(Reason.CN_GIVEN, "the certificate request's subject has a CN:"
                        + " the registry sets it to the allocated prefix; remove it");
        }
        // A serialNumber is replaced, as the original does: its re6st-conf copies an old certificate's
        // subject (serialNumber included) when it enrols again, and must not be locked out.
        if (subjectTypes.contains(BCStyle.SERIALNUMBER)) {
            List<org.bouncycastle.asn1.x500.RDN> kept = new ArrayList<>();
            for (org.bouncycastle.asn1.x500.RDN rdn : subject.getRDNs())
                if (!rdn.getFirst().getType().equals(BCStyle.SERIALNUMBER))
                    kept.add(rdn);
            subject = new X500Name(kept.toArray(org.bouncycastle.asn1.x500.RDN[]::new));
        }
        return new CertificateRequest(subject, spki, key);
    }

    private static RSAPublicKey rsaKey(SubjectPublicKeyInfo spki, int keyBits) throws BadCsrException {
        ASN1ObjectIdentifier alg = spki.getAlgorithm() == null ? null : spki.getAlgorithm().getAlgorithm();
        if (!PKCSObjectIdentifiers.rsaEncryption.equals(alg))
            throw new BadCsrException(Reason.NOT_RSA, "the certificate request's key is " + keyName(alg)
                    + ": node keys must be RSA (" + keyBits + " bits, like the CA's)");
        BigInteger modulus, exponent;
        try {
            byte[] keyDer = spki.getPublicKeyData().getOctets();
            checkDer(keyDer, "RSA key");
            org.bouncycastle.asn1.pkcs.RSAPublicKey k = org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(
                    ASN1Primitive.fromByteArray(keyDer));
            modulus = k.getModulus();
            exponent = k.getPublicExponent();
        } catch (IOException | RuntimeException e) {
            throw new BadCsrException(Reason.NOT_RSA, "the certificate request's RSA key is malformed (" + e.getMessage() + ")");
        }
        if (modulus.signum() <= 0 || exponent.signum() <= 0)
            throw new BadCsrException(Reason.NOT_RSA, "the certificate request's RSA key has a non-positive modulus or exponent");
        if (modulus.bitLength() != keyBits)
            throw new BadCsrException(Reason.KEY_SIZE, "the certificate request's RSA key has " + modulus.bitLength()
                    + " bits; this network's node keys have " + keyBits + " bits like its CA key (the hello response"
                    + " needs equal sizes): generate a " + keyBits + "-bit key");
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(modulus, exponent));
        } catch (Exception e) {
            throw new BadCsrException(Reason.NOT_RSA, "the certificate request's RSA key is unusable (" + e.getMessage() + ")");
        }
    }

    private static String keyName(ASN1ObjectIdentifier alg) {
        if (alg == null)
            return "of no algorithm";
        if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey))
            return "EC";
        if (alg.equals(X9ObjectIdentifiers.id_dsa))
            return "DSA";
        if (alg.equals(EdECObjectIdentifiers.id_Ed25519))
            return "Ed25519";
        if (alg.equals(EdECObjectIdentifiers.id_Ed448))
            return "Ed448";
        if (alg.equals(PKCSObjectIdentifiers.id_RSASSA_PSS))
            return "RSASSA-PSS (a key restricted to PSS)";
        return "of algorithm " + alg;
    }

    /**
     * Walks the DER structure without recursion before any parser sees it: exactly one element,
     * definite lengths that fit their parent, at most {@link #MAX_DER_DEPTH} levels (the
     * ASN.1 parser recurses per level: a 64 KB input could otherwise nest 30,000 deep).
     */
    static void checkDer(byte[] b, String what) {
        int[] ends = new int[MAX_DER_DEPTH + 1];
        ends[0] = b.length;
        int depth = 0, pos = 0, top = 0;
        while (true) {
            while (depth > 0 && pos == ends[depth])
                depth--;
            if (depth == 0 && pos == b.length)
                break;
            if (depth == 0 && ++top > 1)
                throw new IllegalArgumentException(what + ": data after the end of the DER element");
            int tag = b[pos++] & 0xFF;
            if ((tag & 0x1F) == 0x1F) { // high tag number: base-128 digits
                int n = 0;
                do {
                    if (pos >= ends[depth] || ++n > 4)
                        throw new IllegalArgumentException(what + ": bad DER tag");
                } while ((b[pos++] & 0x80) != 0);
            }
            if (pos >= ends[depth])
                throw new IllegalArgumentException(what + ": DER truncated in a length");
            int first = b[pos++] & 0xFF;
            long length;
            if (first < 0x80) {
                length = first;
            } else if (first == 0x80) {
                throw new IllegalArgumentException(what + ": indefinite length (BER, not DER)");
            } else {
                int n = first & 0x7F;
                if (n > 4 || pos + n > ends[depth])
                    throw new IllegalArgumentException(what + ": bad DER length");
                length = 0;
                for (int i = 0; i < n; i++)
                    length = length << 8 | (b[pos++] & 0xFF);
            }
            if (length > ends[depth] - pos)
                throw new IllegalArgumentException(what + ": DER element longer than its container");
            if ((tag & 0x20) != 0) {
                if (depth == MAX_DER_DEPTH)
                    throw new IllegalArgumentException(what + ": DER nested more than " + MAX_DER_DEPTH + " deep");
                ends[++depth] = pos + (int) length;
            } else {
                pos += (int) length;
            }
        }
        if (top == 0)
            throw new IllegalArgumentException(what + ": empty DER");
    }
}
