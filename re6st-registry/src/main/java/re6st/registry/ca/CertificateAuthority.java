package re6st.registry.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import re6st.net.Network;
import re6st.net.NodePrefix;
import re6st.pki.Pem;
import re6st.pki.Rsa;

/**
 * The network's certificate authority: its certificate (whose serial number encodes the
 * network prefix, see {@link Network}) and RSA private key, loaded from the registry's
 * {@code --ca}/{@code --key} PEM files or created by {@link #initCa}. It issues node
 * certificates from checked requests ({@link CertificateRequest}), re-issues them for renewal,
 * signs CRLs, and signs the registry's protocol messages ({@link #sign}: the hello response, the
 * network-config version). Immutable and thread-safe; the current time comes from the injected
 * clock. Serial numbers are the caller's (the database counter).
 *
 * <p>Node certificates: X.509 v3, issuer = the CA subject exactly as encoded in the CA
 * certificate, subject = the request's subject followed by {@code serialNumber} (PrintableString)
 * then {@code CN = "<int(prefix,2)>/<len(prefix)>"} (UTF8String) (the order and string types
 * pyOpenSSL gives the original's), validity from now (whole seconds) for 365 days, SHA-512 with
 * RSA. The original issues v1 certificates without extensions; ours add basicConstraints
 * CA:FALSE and keyUsage digitalSignature + keyEncipherment (both critical, so a node certificate
 * can never act as a CA, and what TLS/OpenVPN expect of an RSA end entity) and the subject and
 * authority key identifiers. No client of the original looks at extensions.
 */
public final class CertificateAuthority implements re6st.pki.CaSigner {
    /** The original's cert_duration. */
    public static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(365);

    /** A revoked serial and its date in the CRL (the caller chooses which date it records). */
    public record Revoked(BigInteger serial, Instant date) {
        public Revoked {
            if (serial == null || serial.signum() <= 0)
                throw new IllegalArgumentException("revoked serial must be positive, got " + serial);
            if (date == null)
                throw new IllegalArgumentException("revocation date is null");
        }
    }

    private final X509Certificate certificate;
    private final X500Name subject;
    private final PrivateKey key;
    private final RSAPublicKey publicKey;
    private final Network network;
    private final Clock clock;

    /**
     * @throws IllegalArgumentException if the keys are not RSA, do not match, or the serial encodes no network
     */
    public CertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock) {
        if (!(certificate.getPublicKey() instanceof RSAPublicKey pub))
            throw new IllegalArgumentException("the CA key must be RSA, the certificate has " + certificate.getPublicKey().getAlgorithm());
        if (!(key instanceof RSAPrivateKey priv))
            throw new IllegalArgumentException("the CA private key must be RSA, got " + key.getAlgorithm());
        if (!pub.getModulus().equals(priv.getModulus()))
            throw new IllegalArgumentException("the CA private key does not belong to the CA certificate "
                    + certificate.getSubjectX500Principal());
        this.certificate = certificate;
        this.subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        this.key = key;
        this.publicKey = pub;
        this.network = Network.fromCaSerial(certificate.getSerialNumber());
        this.clock = clock;
    }

    /** Loads {@code --ca} and {@code --key}; errors name the file and what is wrong. */
    public static CertificateAuthority load(Path caFile, Path keyFile, Clock clock) throws IOException {
        X509Certificate cert;
        try {
            cert = Pem.parseCertificate(Files.readAllBytes(caFile));
        } catch (CertificateException e) {
            throw new IOException(caFile + ": not a PEM certificate (" + e.getMessage() + ")", e);
        }
        PrivateKey key;
        try {
            key = Pem.parseRsaPrivateKey(Files.readString(keyFile, StandardCharsets.ISO_8859_1));
        } catch (IllegalArgumentException e) {
            throw new IOException(keyFile + ": " + e.getMessage(), e);
        }
        try {
            return new CertificateAuthority(cert, key, clock);
        } catch (IllegalArgumentException e) {
            throw new IOException(caFile + " and " + keyFile + ": " + e.getMessage(), e);
        }
    }

    public static CertificateAuthority load(Path caFile, Path keyFile) throws IOException {
        return load(caFile, keyFile, Clock.systemUTC());
    }

    /**
     * A new CA for {@code network} ({@code re6st registry init-ca}): an RSA key of {@code keyBits},
     * a self-signed v3 certificate with serial {@link Network#caSerial()} (what the original asks
     * users to craft with {@code openssl req -x509 -set_serial}), CA:TRUE, keyCertSign + cRLSign,
     * valid from now for {@code validity}, SHA-512. Put an {@code emailAddress} in the subject: it
     * is the From of token mails.
     */
    public static CertificateAuthority initCa(Network network, int keyBits, X500Name subject, Duration validity, Clock clock) {
        if (keyBits < 1024 || keyBits > 16384)
            throw new IllegalArgumentException("CA key size " + keyBits + " outside 1024..16384 bits");
        if (validity.isNegative() || validity.isZero())
            throw new IllegalArgumentException("CA validity must be positive, got " + validity);
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(keyBits, new SecureRandom());
            KeyPair kp = g.generateKeyPair();
            Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(kp.getPublic().getEncoded());
            X509v3CertificateBuilder b = new X509v3CertificateBuilder(subject, network.caSerial(),
                    Date.from(now), Date.from(now.plus(validity)), subject, spki);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(spki));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(kp.getPrivate())));
            return new CertificateAuthority(cert, kp.getPrivate(), clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create the CA: " + e, e);
        }
    }

    /**
     * Writes the certificate and the key (PKCS#8, created with mode 0600 before anything is written
     * to it) as PEM. Refuses to overwrite either file: replacing a CA key orphans every node.
     */
    public void writePem(Path caFile, Path keyFile) throws IOException {
        for (Path p : List.of(caFile, keyFile))
            if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                throw new FileAlreadyExistsException(p.toString(), null, "refusing to overwrite an existing CA file");
        Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(keyFile, Pem.privateKey(key), StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            Files.writeString(caFile, certificatePem(), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(keyFile);
            throw e;
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** {@code getCa}: the CA certificate as PEM. */
    public String certificatePem() {
        return Pem.certificate(certificate);
    }

    /** The CA subject, exactly as encoded in its certificate. */
    public X500Name subject() {
        return subject;
    }

    /** The subject's emailAddress: the From of the token mails (the original's {@code self.email}). */
    public Optional<String> email() {
        for (RDN rdn : subject.getRDNs())
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues())
                if (atv.getType().equals(BCStyle.EmailAddress) && atv.getValue() instanceof ASN1String s)
                    return Optional.of(s.getString());
        return Optional.empty();
    }

    public Network network() {
        return network;
    }

    public RSAPublicKey publicKey() {
        return publicKey;
    }

    /** The CA key's size; node keys must have the same (see {@link CertificateRequest}). */
    public int keyBits() {
        return publicKey.getModulus().bitLength();
    }

    public Clock clock() {
        return clock;
    }

    /** PKCS#1 v1.5 signature with SHA-512 by the CA key (the original's {@code Cert.sign}). */
    public byte[] sign(byte[] data) {
        return Rsa.sign(key, data);
    }

    /** Parses and checks a request for this network (its key must have {@link #keyBits()}). */
    public CertificateRequest parseRequest(String pem) throws BadCsrException {
        return CertificateRequest.parse(pem, keyBits());
    }

    /**
     * A node certificate for {@code prefix} (see the class comment for its contents).
     *
     * @param subjectSerial the subject's serialNumber: the smallest number no current certificate uses
     * @param serial        the X.509 serial: the database counter, positive
     */
    public X509Certificate issue(CertificateRequest request, NodePrefix prefix, long subjectSerial, BigInteger serial) {
        network.subnet(prefix); // the prefix must fit in the network
        if (subjectSerial < 0)
            throw new IllegalArgumentException("subject serialNumber must be non-negative, got " + subjectSerial);
        List<RDN> rdns = new ArrayList<>(List.of(request.subject().getRDNs()));
        rdns.add(new RDN(BCStyle.SERIALNUMBER, new DERPrintableString(Long.toString(subjectSerial))));
        rdns.add(new RDN(BCStyle.CN, new DERUTF8String(prefix.cn())));
        Instant now = now();
        return build(serial, new Time(Date.from(now)), new Time(Date.from(now.plus(CERTIFICATE_VALIDITY))),
                new X500Name(rdns.toArray(RDN[]::new)), request.publicKeyInfo());
    }

    /**
     * Re-issues one of our certificates for renewal: same subject and key (as encoded), a new
     * serial, from now until now + 365 days ({@link Renewal#NEW_PERIOD}) or until its current
     * notAfter ({@link Renewal#SAME_NOT_AFTER}).
     *
     * @throws IllegalArgumentException if {@code current} was not signed by this CA, or for {@link Renewal#KEEP}
     */
    public X509Certificate reissue(X509Certificate current, BigInteger serial, Renewal how) {
        if (how == Renewal.KEEP)
            throw new IllegalArgumentException("Renewal.KEEP re-issues nothing");
        X509CertificateHolder old;
        try {
            current.verify(publicKey);
            old = new X509CertificateHolder(current.getEncoded());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("certificate " + current.getSubjectX500Principal()
                    + " (serial " + current.getSerialNumber() + ") was not issued by this CA: " + e.getMessage(), e);
        }
        Instant now = now();
        Time notAfter = how == Renewal.NEW_PERIOD ? new Time(Date.from(now.plus(CERTIFICATE_VALIDITY)))
                : old.toASN1Structure().getEndDate(); // the same encoded time, as pyOpenSSL's set_notAfter(get_notAfter())
        return build(serial, new Time(Date.from(now)), notAfter, old.getSubject(), old.getSubjectPublicKeyInfo());
    }

    /**
     * A CRL v2 of {@code revoked} (sorted by serial), this update now, next update now + {@code validity},
     * with a CRL number and the authority key identifier, SHA-512 with RSA.
     */
    public X509CRL crl(Collection<Revoked> revoked, BigInteger crlNumber, Duration validity) {
        if (crlNumber.signum() < 0)
            throw new IllegalArgumentException("CRL number must be non-negative, got " + crlNumber);
        TreeMap<BigInteger, Instant> sorted = new TreeMap<>();
        for (Revoked r : revoked)
            if (sorted.put(r.serial(), r.date()) != null)
                throw new IllegalArgumentException("serial " + r.serial() + " listed twice in the CRL");
        Instant now = now();
        X509v2CRLBuilder b = new X509v2CRLBuilder(subject, new Time(Date.from(now)));
        b.setNextUpdate(new Time(Date.from(now.plus(validity))));
        sorted.forEach((serial, date) -> b.addCRLEntry(serial, Date.from(date), 0)); // 0: no reason extension
        try {
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(crlNumber));
            b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier());
            return new JcaX509CRLConverter().getCRL(b.build(signer(key)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot sign the CRL: " + e, e);
        }
    }

    private X509Certificate build(BigInteger serial, Time notBefore, Time notAfter, X500Name nodeSubject, SubjectPublicKeyInfo spki) {
        if (serial == null || serial.signum() <= 0)
            throw new IllegalArgumentException("certificate serial must be positive, got " + serial);
        try {
            X509v3CertificateBuilder b = new X509v3CertificateBuilder(subject, serial, notBefore, notAfter, nodeSubject, spki);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(spki));
            b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier());
            return new JcaX509CertificateConverter().getCertificate(b.build(signer(key)));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot sign the certificate: " + e, e);
        }
    }

    /** keyIdentifier only: the CA's own subjectKeyIdentifier if it has one, else SHA-1 of its key (RFC 5280 method 1). */
    private AuthorityKeyIdentifier authorityKeyIdentifier() throws GeneralSecurityException {
        byte[] ski = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ski != null) {
            try {
                return new AuthorityKeyIdentifier(
                        SubjectKeyIdentifier.getInstance(JcaX509ExtensionUtils.parseExtensionValue(ski)).getKeyIdentifier());
            } catch (IOException | RuntimeException e) {
                // a malformed identifier in the CA certificate: compute ours
            }
        }
        return new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(
                SubjectPublicKeyInfo.getInstance(publicKey.getEncoded()));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    private static ContentSigner signer(PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaContentSignerBuilder(Rsa.SIGNATURE).build(key);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "CertificateAuthority[" + certificate.getSubjectX500Principal() + ", network " + network + ", "
                + keyBits() + "-bit RSA]"; // never the key
    }
}
