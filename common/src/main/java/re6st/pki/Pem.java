package re6st.pki;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/**
 * PEM text (RFC 7468) as OpenSSL writes and reads it: 64-character base64 lines, '\n' line
 * ends, text around the block ignored. Decoding is strict about the block itself: a matching END
 * line, base64 with only whitespace in between, no headers (encrypted PEM is not supported).
 */
public final class Pem {
    /** A decoded block: its label ("CERTIFICATE REQUEST", ...) and DER content. */
    public record Block(String label, byte[] der) {
    }

    private static final String BEGIN = "-----BEGIN ", END = "-----END ", DASHES = "-----";

    private Pem() {
    }

    public static String encode(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    /**
     * The first PEM block of {@code text}.
     *
     * @throws IllegalArgumentException saying what is wrong (no block, no END line, headers, bad base64, empty)
     */
    public static Block decode(String text) {
        int begin = text.indexOf(BEGIN);
        if (begin < 0)
            throw new IllegalArgumentException("no PEM block (no '-----BEGIN ' line)");
        int labelEnd = text.indexOf(DASHES, begin + BEGIN.length());
        String label = labelEnd < 0 ? null : text.substring(begin + BEGIN.length(), labelEnd);
        if (label == null || label.length() > 64 || label.indexOf('\n') >= 0 || label.indexOf('\r') >= 0)
            throw new IllegalArgumentException("malformed PEM BEGIN line");
        String endLine = END + label + DASHES;
        int end = text.indexOf(endLine, labelEnd + DASHES.length());
        if (end < 0)
            throw new IllegalArgumentException("PEM block " + label + " has no '" + endLine + "' line");
        String body = withoutHeaders(label, text.substring(labelEnd + DASHES.length(), end));
        StringBuilder b64 = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                b64.append(c);
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(b64.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PEM block " + label + " is not valid base64 (" + e.getMessage() + ")");
        }
        if (der.length == 0)
            throw new IllegalArgumentException("PEM block " + label + " is empty");
        return new Block(label, der);
    }

    /**
     * The base64 of a block body after its RFC 1421 headers ("Name: value" lines, continuation lines
     * starting with a blank, then an empty line), which are ignored, unless they say the block is
     * encrypted: that is refused with the way to decrypt it.
     */
    private static String withoutHeaders(String label, String body) {
        if (body.indexOf(':') < 0)
            return body;
        String[] lines = body.split("\r?\n", -1);
        int i = lines.length > 0 && lines[0].isBlank() ? 1 : 0; // the rest of the BEGIN line
        boolean headers = false;
        for (; i < lines.length; i++) {
            String l = lines[i];
            if (l.indexOf(':') > 0 || headers && !l.isEmpty() && Character.isWhitespace(l.charAt(0)) && !l.isBlank()) {
                headers = true;
                if (l.toUpperCase(java.util.Locale.ROOT).contains("ENCRYPTED"))
                    throw new IllegalArgumentException("PEM block " + label + " is encrypted: decrypt it first"
                            + " (openssl pkey -in KEY -out PLAIN)");
                continue;
            }
            break;
        }
        String rest = String.join("\n", java.util.Arrays.copyOfRange(lines, i, lines.length));
        if (rest.indexOf(':') >= 0)
            throw new IllegalArgumentException("PEM block " + label + " has a ':' inside its base64");
        return rest;
    }

    public static String certificate(X509Certificate cert) {
        try {
            return encode("CERTIFICATE", cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String crl(X509CRL crl) {
        try {
            return encode("X509 CRL", crl.getEncoded());
        } catch (CRLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PKCS#8 ("PRIVATE KEY"), as {@code openssl genpkey} writes it. */
    public static String privateKey(PrivateKey key) {
        return encode("PRIVATE KEY", key.getEncoded());
    }

    /** The first certificate of a PEM text (DER is accepted too). */
    public static X509Certificate parseCertificate(String pem) throws CertificateException {
        return parseCertificate(pem.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    public static X509Certificate parseCertificate(byte[] pemOrDer) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pemOrDer));
    }

    public static X509CRL parseCrl(String pem) throws CRLException, CertificateException {
        return parseCrl(pem.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    /** A CRL, PEM or DER. */
    public static X509CRL parseCrl(byte[] pemOrDer) throws CRLException, CertificateException {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(pemOrDer));
    }

    /**
     * An unencrypted RSA private key, PKCS#8 ("PRIVATE KEY", {@code openssl genpkey}) or PKCS#1
     * ("RSA PRIVATE KEY", {@code openssl genrsa}, pyOpenSSL's dump_privatekey).
     *
     * @throws IllegalArgumentException saying why the text is not such a key
     */
    public static PrivateKey parseRsaPrivateKey(String pem) {
        Block b = decode(pem);
        byte[] pkcs8;
        switch (b.label()) {
            case "PRIVATE KEY" -> pkcs8 = b.der();
            case "RSA PRIVATE KEY" -> {
                try {
                    pkcs8 = new PrivateKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                            RSAPrivateKey.getInstance(b.der())).getEncoded();
                } catch (java.io.IOException | RuntimeException e) {
                    throw new IllegalArgumentException("malformed RSA PRIVATE KEY (" + e.getMessage() + ")");
                }
            }
            case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException("the private key is encrypted: decrypt it first"
                    + " (openssl pkey -in KEY -out PLAIN)");
            default -> throw new IllegalArgumentException("the PEM block is " + b.label()
                    + ": node keys are RSA private keys (PRIVATE KEY or RSA PRIVATE KEY)");
        }
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not an RSA private key (" + e.getMessage() + ")");
        }
    }
}
