package re6st.tunnel.handshake;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.Vector;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DTLSClientProtocol;
import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSServerProtocol;
import org.bouncycastle.tls.DTLSTransport;
import org.bouncycastle.tls.DatagramSender;
import org.bouncycastle.tls.DatagramTransport;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsHandshakeHash;
import org.bouncycastle.tls.TlsServer;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

import re6st.jni.SockAddr;
import re6st.jni.Tun;
import re6st.jni.UdpSocket;
import re6st.tunnel.handshake.CertificateRefusedException.Reason;

/**
 * The tunnel handshake: DTLS 1.2 from BouncyCastle's bctls (no home-made key exchange), as
 * OpenVPN splits control and data: the DTLS session authenticates both ends and agrees on a
 * secret, the data channel ({@link re6st.tunnel.data.DataChannel}) carries the packets.
 *
 * <ul>
 * <li>DTLS 1.2 only; cipher suites ECDHE_RSA with AES-256-GCM / AES-128-GCM only (forward
 * secrecy, AEAD); groups X25519 and P-256; extended master secret required (RFC 7627).
 * <li>Mutual authentication with the RSA certificates the registry issues; each side checks
 * the other's with {@link PeerVerifier} (network CA only, dates, CRL, and the dialled CN on the
 * client). A refusal throws {@link CertificateRefusedException} on the refusing side (its message
 * says why) and sends a fatal alert, which the other side reports as
 * {@link HandshakeAbortedException}. No key is derived then.
 * <li>The server answers cookie-less ClientHellos statelessly ({@link CookieGate}), so only a
 * client that receives at its address makes it allocate state or do public-key crypto.
 * <li>Keys: RFC 5705 export, then per-generation HKDF; see {@link KeySchedule}.
 * </ul>
 *
 * <p>The DTLS transport is not closed
 * (no close_notify is sent): the socket goes on carrying the data channel.
 */
public final class DtlsHandshake {
    /** Only these: ECDHE (forward secrecy), RSA certificates, AES-GCM. */
    public static final int[] CIPHER_SUITES = {
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    };
    static final int[] GROUPS = {NamedGroup.x25519, NamedGroup.secp256r1};
    /** Signature schemes we sign with and accept, best first. */
    static final SignatureAndHashAlgorithm[] SIG_ALGS = {
        SignatureAndHashAlgorithm.rsa_pss_rsae_sha256,
        SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
        SignatureAndHashAlgorithm.rsa_pss_rsae_sha384,
        SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.rsa),
    };

    /**
     * BouncyCastle's JCA provider (an instance, not installed globally): the JDK's has no
     * RSASSA-PSS under the names bctls asks for. Only the handshake uses it; the data channel
     * uses the JDK's AES-GCM.
     */
    private static final JcaTlsCrypto CRYPTO =
            new JcaTlsCryptoProvider().setProvider(new BouncyCastleProvider()).create(new SecureRandom());

    private DtlsHandshake() {}

    static JcaTlsCrypto crypto() {
        return CRYPTO;
    }

    /**
     * Client side over {@code socket} to {@code server}. {@code expectedCn} is the CN dialled
     * (e.g. "7/16"); null accepts any certificate of the network CA.
     */
    public static SessionKeys connect(UdpSocket socket, InetSocketAddress server, Credentials me, String expectedCn,
            Duration timeout) throws IOException {
        try (UdpDatagramTransport t = new UdpDatagramTransport(socket, server)) {
            return connect(t, me, expectedCn, timeout);
        }
    }

    /** Client side over any datagram transport to the server. */
    public static SessionKeys connect(DatagramTransport transport, Credentials me, String expectedCn, Duration timeout)
            throws IOException {
        Client client = new Client(new Peer(me, expectedCn, timeout, true));
        try {
            new DTLSClientProtocol().connect(client, transport);
        } catch (IOException | RuntimeException e) {
            throw client.peer.translate(e);
        }
        return client.peer.result();
    }

    /** What {@link #accept(UdpSocket, Credentials, CookieGate, Duration)} returns: the keys and the client's address. */
    public record Accepted(SessionKeys keys, InetSocketAddress client) {}

    /**
     * Server side for one client on {@code socket}: waits (at most {@code timeout} in all) for a
     * ClientHello with a valid cookie, answering the others through {@code gate}, then completes
     * the handshake with that client (datagrams from others are ignored meanwhile).
     */
    public static Accepted accept(UdpSocket socket, Credentials me, CookieGate gate, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        byte[] hello = new byte[UdpDatagramTransport.DEFAULT_RECEIVE_LIMIT];
        SockAddr from = new SockAddr();
        DTLSRequest request = null;
        while (request == null) {
            int n = socket.receive(buf, 0, buf.capacity(), from);
            if (n == UdpSocket.EAGAIN) {
                long left = deadline - System.nanoTime();
                if (left <= 0)
                    throw new SocketTimeoutException("no ClientHello with a valid cookie within " + timeout);
                socket.await(Tun.READABLE, left);
                continue;
            }
            if (n <= 0)
                continue; // an ICMP error on the socket, or an empty datagram
            int len = Math.min(n, socket.lastSegment() > 0 ? socket.lastSegment() : n);
            len = Math.min(len, hello.length);
            buf.get(0, hello, 0, len);
            request = gate.check(from.toInetSocketAddress(), hello, 0, len, sender(socket, new SockAddr().copyFrom(from)));
        }
        Duration left = Duration.ofNanos(Math.max(1_000_000L, deadline - System.nanoTime()));
        try (UdpDatagramTransport t = new UdpDatagramTransport(socket, from, UdpDatagramTransport.DEFAULT_SEND_LIMIT,
                UdpDatagramTransport.DEFAULT_RECEIVE_LIMIT)) {
            return new Accepted(accept(t, request, me, left), from.toInetSocketAddress());
        }
    }

    /**
     * Server side once {@link CookieGate#check} returned a verified {@code request}, over a
     * transport to that client (for a server that demultiplexes many clients on one socket).
     */
    public static SessionKeys accept(DatagramTransport toClient, DTLSRequest request, Credentials me, Duration timeout)
            throws IOException {
        return acceptSession(toClient, request, me, timeout).keys();
    }

    /**
     * A completed server handshake: the keys, and BouncyCastle's DTLS transport, kept because
     * the server's final flight may be lost: the client then retransmits its own last flight,
     * and reading that through {@code dtls} makes BouncyCastle send ours again. {@code admitted}
     * is what admitting the client reserved ({@link Admission#admit}; {@link Reservation#NONE}
     * without admission): the caller releases it if the client gets no tunnel after all.
     */
    public record ServerSession(SessionKeys keys, DTLSTransport dtls, Reservation admitted) {}

    /** As {@link #accept(DatagramTransport, DTLSRequest, Credentials, Duration)}, keeping the DTLS transport. */
    public static ServerSession acceptSession(DatagramTransport toClient, DTLSRequest request, Credentials me, Duration timeout)
            throws IOException {
        return acceptSession(toClient, request, me, timeout, null);
    }

    /**
     * Decides whether the server takes a client, in two steps on the handshake's thread: a
     * refusal in either stops the handshake with {@link AdmissionRefusedException} here and an
     * {@code access_denied} alert to the client, before it has any key.
     *
     * <p>Two steps because a certificate proves nothing until the client has signed the
     * handshake with its key: members' certificates are public (every handshake sends one in
     * clear), so whatever is reserved for a CN must wait for that proof, or anyone could keep
     * a member's place by sending its certificate and stalling.
     */
    @FunctionalInterface
    public interface Admission {
        /**
         * When the client's certificate arrives, verified (network CA, dates, CRL) but its key
         * not yet proven: null lets the handshake go on, a reason refuses the client now (no
         * need to check its proof). Must reserve nothing.
         */
        String refuse(String peerCn);

        /**
         * Once the client proved it holds its certificate's key (its CertificateVerify checked),
         * before the Finished messages: takes the client, reserving what that needs (a place
         * among max clients) and answering how to give it back; or refuses it by throwing.
         * Default: {@link #refuse} asked again, nothing reserved.
         */
        default Reservation admit(String peerCn) throws AdmissionRefusedException {
            String no = refuse(peerCn);
            if (no != null)
                throw new AdmissionRefusedException(peerCn, no);
            return Reservation.NONE;
        }
    }

    /**
     * What {@link Admission#admit} reserved for a client (a place among max clients), given back
     * by {@link #release} when the client gets no tunnel after all: its handshake failed
     * afterwards (timed out, aborted by the client, a bad Finished; the handshake releases it
     * itself), or the server dropped the authenticated connection before making its tunnel (the
     * caller of {@link #acceptSession} or {@link #acceptConnectedSession} releases it), so that
     * the place is free now rather than when the reservation lapses.
     */
    @FunctionalInterface
    public interface Reservation {
        /** Gives it back. Any thread; the handshake passes it on so that only its first call counts. */
        void release();

        /** Nothing reserved. */
        Reservation NONE = () -> {};
    }

    /** As {@link #acceptSession(DatagramTransport, DTLSRequest, Credentials, Duration)}, admitting the client by {@code admission} (null: any). */
    public static ServerSession acceptSession(DatagramTransport toClient, DTLSRequest request, Credentials me, Duration timeout,
            Admission admission) throws IOException {
        if (request == null)
            throw new IllegalArgumentException("a verified request (valid cookie) is required");
        Peer peer = new Peer(me, null, timeout, false);
        peer.admission = admission;
        Server server = new Server(peer);
        try {
            DTLSTransport dtls = new ServerProtocol(peer).accept(server, toClient, request);
            return peer.serverSession(dtls);
        } catch (IOException | RuntimeException e) {
            throw peer.translate(e);
        } finally {
            peer.releaseUnlessDone(); // also on an Error: a place must not wait for its hold to lapse
        }
    }

    /**
     * Server side over a connection-oriented transport (the TCP transport's framed stream,
     * {@link StreamDatagramTransport}): no cookie round, since the TCP handshake already proved
     * that the client receives at its address. The caller bounds what a cookie would have: how
     * many unauthenticated connections may handshake at once and for how long ({@code timeout}).
     */
    public static SessionKeys acceptConnected(DatagramTransport toClient, Credentials me, Duration timeout) throws IOException {
        return acceptConnectedSession(toClient, me, timeout, null).keys();
    }

    /**
     * As {@link #acceptConnected(DatagramTransport, Credentials, Duration)}, admitting the client
     * by {@code admission} (null: any), with what that reserved ({@link ServerSession#admitted}).
     */
    public static ServerSession acceptConnectedSession(DatagramTransport toClient, Credentials me, Duration timeout,
            Admission admission) throws IOException {
        Peer peer = new Peer(me, null, timeout, false);
        peer.admission = admission;
        Server server = new Server(peer);
        ServerProtocol protocol = new ServerProtocol(peer);
        protocol.setVerifyRequests(false);
        try {
            return peer.serverSession(protocol.accept(server, toClient));
        } catch (IOException | RuntimeException e) {
            throw peer.translate(e);
        } finally {
            peer.releaseUnlessDone(); // also on an Error: a place must not wait for its hold to lapse
        }
    }

    private static DatagramSender sender(UdpSocket socket, SockAddr to) {
        return new DatagramSender() {
            @Override
            public int getSendLimit() {
                return UdpDatagramTransport.DEFAULT_SEND_LIMIT;
            }

            @Override
            public void send(byte[] buf, int off, int len) throws IOException {
                ByteBuffer b = ByteBuffer.allocateDirect(len).put(buf, off, len);
                socket.send(b, 0, len, 0, to); // lost if it fails: the client retransmits
            }
        };
    }

    /** The other side sent a fatal alert (typically: it refused our certificate). */
    public static final class HandshakeAbortedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final short alert;

        HandshakeAbortedException(short alert, Throwable cause) {
            super("the peer aborted the handshake with alert " + AlertDescription.getText(alert)
                    + explain(alert), cause);
            this.alert = alert;
        }

        /** The TLS alert description (e.g. {@link AlertDescription#certificate_revoked}). */
        public short alert() {
            return alert;
        }

        private static String explain(short alert) {
            return switch (alert) {
                case AlertDescription.unknown_ca -> ": it does not trust our certificate's CA";
                case AlertDescription.certificate_revoked -> ": our certificate is revoked";
                case AlertDescription.certificate_expired -> ": our certificate is expired or not yet valid";
                case AlertDescription.bad_certificate -> ": it refused our certificate (wrong CN?)";
                case AlertDescription.access_denied -> ": it does not take us now (it has its maximum of clients)";
                default -> "";
            };
        }
    }

    /** State and checks shared by both ends. */
    private static final class Peer {
        final Credentials me;
        final String expectedCn;
        final int timeoutMillis;
        final boolean isClient;
        Admission admission; // server side: null admits any verified client
        Reservation admitted; // server side: what admission reserved once the client proved its key (null: not yet)
        boolean done; // server side: the session was handed to the caller, with what was reserved
        IOException refusal; // ours: a CertificateRefusedException or an AdmissionRefusedException
        X509Certificate peerCert;
        String peerCn;
        SessionKeys keys;

        Peer(Credentials me, String expectedCn, Duration timeout, boolean isClient) {
            this.me = me;
            this.expectedCn = expectedCn;
            this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            this.isClient = isClient;
        }

        void verify(Certificate chain) throws IOException {
            try {
                if (chain == null || chain.isEmpty())
                    throw new CertificateRefusedException(Reason.NO_CERTIFICATE, "the peer sent no certificate");
                X509Certificate leaf;
                try {
                    leaf = JcaTlsCertificate.convert(CRYPTO, chain.getCertificateAt(0)).getX509Certificate();
                } catch (IOException e) {
                    throw new CertificateRefusedException(Reason.MALFORMED, "unparseable certificate: " + e.getMessage());
                }
                peerCn = PeerVerifier.verify(leaf, me, expectedCn, new Date());
                peerCert = leaf;
            } catch (CertificateRefusedException e) {
                refusal = e;
                throw new TlsFatalAlert(alertFor(e.reason()), e.getMessage(), e);
            }
            String no = admission != null ? admission.refuse(peerCn) : null;
            if (no != null) // before any key exists: the client hears access_denied and backs off
                throw refused(new AdmissionRefusedException(peerCn, no));
        }

        /**
         * Server side, once the client's CertificateVerify is checked (it holds its certificate's
         * key), before the Finished messages: the admission takes it, or refuses it with an
         * {@code access_denied} alert, still inside its handshake. Only now may anything be
         * reserved for its CN (see {@link Admission}).
         */
        void admit() throws IOException {
            if (peerCert == null) // cannot happen: BouncyCastle asks for the proof of a certificate it was given
                throw new TlsFatalAlert(AlertDescription.internal_error, "CertificateVerify without a verified certificate");
            if (admission == null) {
                admitted = Reservation.NONE;
                return;
            }
            try {
                admitted = once(admission.admit(peerCn));
            } catch (AdmissionRefusedException e) {
                throw refused(e);
            }
        }

        private TlsFatalAlert refused(AdmissionRefusedException e) {
            refusal = e;
            return new TlsFatalAlert(AlertDescription.access_denied, e.getMessage(), e);
        }

        /** Only the first call of {@code r} counts: whoever drops the client releases it, without asking who did. */
        private static Reservation once(Reservation r) {
            if (r == null || r == Reservation.NONE)
                return Reservation.NONE;
            java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
            return () -> {
                if (released.compareAndSet(false, true))
                    r.release();
            };
        }

        TlsCredentialedSigner signer(TlsContext context, Vector<?> offeredSigAlgs) throws IOException {
            SignatureAndHashAlgorithm alg = choose(offeredSigAlgs);
            Certificate chain = new Certificate(new TlsCertificate[] {new JcaTlsCertificate(CRYPTO, me.cert())});
            return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), CRYPTO, me.key(), chain, alg);
        }

        void complete(TlsContext context) throws IOException {
            if (peerCert == null) // cannot happen: both ends require certificates
                throw new TlsFatalAlert(AlertDescription.handshake_failure, "handshake completed without a verified peer certificate");
            if (!isClient && admitted == null) // cannot happen: a client certificate is always proven (CertificateVerify)
                throw new TlsFatalAlert(AlertDescription.internal_error, "handshake completed without admitting the client");
            if (!context.getSecurityParametersConnection().isExtendedMasterSecret())
                throw new TlsFatalAlert(AlertDescription.handshake_failure, "no extended master secret");
            byte[] exported = context.exportKeyingMaterial(KeySchedule.EXPORTER_LABEL, null, KeySchedule.SECRET_LENGTH);
            KeySchedule schedule = new KeySchedule(exported, isClient);
            java.util.Arrays.fill(exported, (byte) 0);
            keys = new SessionKeys(schedule.sendKey(0), schedule.receiveKey(0), peerCert, peerCn, schedule);
        }

        SessionKeys result() throws IOException {
            if (keys == null)
                throw new IOException("handshake ended without keys");
            return keys;
        }

        /** Server side, the handshake completed: its session, and what admitting the client reserved, now the caller's. */
        ServerSession serverSession(DTLSTransport dtls) throws IOException {
            ServerSession s = new ServerSession(result(), dtls, admitted);
            done = true;
            return s;
        }

        /**
         * Server side, as the handshake returns: unless its session went to the caller, what
         * admitting the client reserved is given back now (it failed after admission, or threw
         * anything, even an Error), not when the reservation lapses.
         */
        void releaseUnlessDone() {
            if (!done && admitted != null)
                admitted.release();
        }

        IOException translate(Exception e) {
            if (refusal != null) {
                refusal.addSuppressed(e);
                return refusal;
            }
            if (e instanceof TlsFatalAlertReceived r)
                return new HandshakeAbortedException(r.getAlertDescription(), r);
            if (e instanceof IOException io)
                return io;
            return new IOException("handshake failed: " + e, e);
        }

        static short alertFor(Reason r) {
            return switch (r) {
                case OTHER_CA -> AlertDescription.unknown_ca;
                case REVOKED -> AlertDescription.certificate_revoked;
                case EXPIRED, NOT_YET_VALID -> AlertDescription.certificate_expired;
                case NO_CERTIFICATE -> AlertDescription.handshake_failure;
                case WRONG_CN, MALFORMED -> AlertDescription.bad_certificate;
            };
        }

        static SignatureAndHashAlgorithm choose(Vector<?> offered) throws IOException {
            for (SignatureAndHashAlgorithm a : SIG_ALGS)
                if (offered == null ? a.getSignature() == SignatureAlgorithm.rsa && a.getHash() == HashAlgorithm.sha256
                        : offered.contains(a))
                    return a;
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "the peer accepts none of our RSA signature schemes");
        }

        static Vector<SignatureAndHashAlgorithm> sigAlgs() {
            Vector<SignatureAndHashAlgorithm> v = new Vector<>();
            for (SignatureAndHashAlgorithm a : SIG_ALGS)
                v.add(a);
            return v;
        }
    }

    private static final class Client extends DefaultTlsClient {
        final Peer peer;

        Client(Peer peer) {
            super(CRYPTO);
            this.peer = peer;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return CIPHER_SUITES.clone();
        }

        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        protected Vector getSupportedGroups(Vector namedGroupRoles) {
            Vector v = new Vector();
            for (int g : GROUPS)
                v.add(g);
            return v;
        }

        @Override
        @SuppressWarnings("rawtypes")
        protected Vector getSupportedSignatureAlgorithms() {
            return Peer.sigAlgs();
        }

        @Override
        public boolean requiresExtendedMasterSecret() {
            return true;
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return peer.timeoutMillis;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                    peer.verify(serverCertificate.getCertificate());
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                    return peer.signer(context, request.getSupportedSignatureAlgorithms());
                }
            };
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            peer.complete(context);
        }
    }

    /**
     * BouncyCastle's DTLS server, admitting the client right after checking its
     * CertificateVerify: the first point where the client has proved it holds its certificate's
     * key ({@link TlsServer} has no callback there: {@code notifyClientCertificate} comes before
     * the proof), and before the Finished messages, so that a refusal still reaches the client as
     * an alert inside its handshake. Both the UDP and the TCP (framed stream) servers use it.
     */
    private static final class ServerProtocol extends DTLSServerProtocol {
        private final Peer peer;

        ServerProtocol(Peer peer) {
            this.peer = peer;
        }

        @Override
        protected void processCertificateVerify(ServerHandshakeState state, byte[] body, TlsHandshakeHash prepareFinishHash)
                throws IOException {
            super.processCertificateVerify(state, body, prepareFinishHash); // throws unless the signature is right
            peer.admit();
        }
    }

    private static final class Server extends DefaultTlsServer {
        final Peer peer;

        Server(Peer peer) {
            super(CRYPTO);
            this.peer = peer;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return ProtocolVersion.DTLSv12.only();
        }

        @Override
        protected int[] getSupportedCipherSuites() {
            return CIPHER_SUITES.clone();
        }

        @Override
        public int[] getSupportedGroups() {
            return GROUPS.clone();
        }

        @Override
        public boolean requiresExtendedMasterSecret() {
            return true;
        }

        @Override
        public int getHandshakeTimeoutMillis() {
            return peer.timeoutMillis;
        }

        @Override
        protected TlsCredentialedSigner getRSASignerCredentials() throws IOException {
            return peer.signer(context, context.getSecurityParametersHandshake().getClientSigAlgs());
        }

        @Override
        public CertificateRequest getCertificateRequest() {
            Vector<X500Name> authorities = new Vector<>();
            authorities.add(X500Name.getInstance(peer.me.ca().getSubjectX500Principal().getEncoded()));
            return new CertificateRequest(new short[] {ClientCertificateType.rsa_sign}, Peer.sigAlgs(), authorities);
        }

        @Override
        public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
            peer.verify(clientCertificate);
        }

        @Override
        public void notifyHandshakeComplete() throws IOException {
            super.notifyHandshakeComplete();
            peer.complete(context);
        }
    }
}
