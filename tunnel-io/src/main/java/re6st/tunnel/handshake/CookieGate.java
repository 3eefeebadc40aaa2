package re6st.tunnel.handshake;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.tls.DTLSRequest;
import org.bouncycastle.tls.DTLSVerifier;
import org.bouncycastle.tls.DatagramSender;
import org.bouncycastle.tls.crypto.TlsCrypto;

/**
 * The server's stateless first line (RFC 6347 §4.2.1): a ClientHello without a valid cookie is
 * answered with a HelloVerifyRequest carrying an HMAC cookie over the client's address and hello,
 * and forgotten. Only a ClientHello that echoes a valid cookie (so the client really receives at
 * its address) becomes a {@link DTLSRequest}, for which the server then allocates handshake state
 * and does public-key crypto. A flood of (spoofed) hellos thus costs one HMAC and one small reply
 * each (two HMACs for a hello with a wrong cookie). The secret rotates every 5 minutes.
 * Wraps BouncyCastle's {@link DTLSVerifier}; thread-safe; counts what it did.
 */
public final class CookieGate {
    /** How long a cookie secret is used; cookies of the previous one are still accepted. */
    public static final long ROTATE_NS = 5 * 60 * 1_000_000_000L;

    private final TlsCrypto crypto;
    private final java.util.function.LongSupplier clock;
    private volatile DTLSVerifier current, previous; // previous: null until the first rotation
    private volatile long rotatedAt;
    private final AtomicLong helloVerifyRequests = new AtomicLong(), verified = new AtomicLong(), ignored = new AtomicLong(),
            verifiedPrevious = new AtomicLong(), rotations = new AtomicLong();

    public CookieGate() {
        this(DtlsHandshake.crypto(), System::nanoTime);
    }

    public CookieGate(TlsCrypto crypto) {
        this(crypto, System::nanoTime);
    }

    /**
     * {@code clock} (nanoseconds, monotonic) decides when the secret rotates: every
     * {@link #ROTATE_NS}. BouncyCastle's {@link DTLSVerifier} draws its HMAC key when it is made,
     * so a new verifier is a new secret; the previous one is kept for one period, so a client
     * whose cookie was made just before the rotation still gets in. An old secret (or a cookie
     * computed from it, leaked or guessed) is thus good for ten minutes at most.
     */
    public CookieGate(TlsCrypto crypto, java.util.function.LongSupplier clock) {
        this.crypto = crypto;
        this.clock = clock;
        this.current = new DTLSVerifier(crypto);
        this.rotatedAt = clock.getAsLong();
    }

    private void rotateIfDue() {
        long now = clock.getAsLong();
        if (now - rotatedAt < ROTATE_NS)
            return;
        synchronized (this) {
            if (now - rotatedAt < ROTATE_NS)
                return;
            previous = current;
            current = new DTLSVerifier(crypto);
            rotatedAt = now;
            rotations.incrementAndGet();
        }
    }

    /**
     * Checks one datagram received from {@code from}. Returns the verified request (go on with
     * {@link DtlsHandshake#accept(DatagramTransport, DTLSRequest, Credentials, java.time.Duration)}),
     * or null: a HelloVerifyRequest was sent back through {@code replyTo}, or the datagram was not
     * a ClientHello and was ignored. A cookie of the current or of the previous secret is valid;
     * the HelloVerifyRequest always carries one of the current secret.
     */
    public DTLSRequest check(InetSocketAddress from, byte[] data, int off, int len, DatagramSender replyTo) {
        rotateIfDue();
        byte[] id = clientId(from);
        Held reply = new Held(replyTo);
        DTLSRequest request;
        try {
            request = current.verifyRequest(id, data, off, len, reply);
            DTLSVerifier old = previous;
            if (request == null && reply.length > 0 && old != null && hasCookie(data, off, len)) {
                request = old.verifyRequest(id, data, off, len, Held.DISCARD);
                if (request != null)
                    verifiedPrevious.incrementAndGet();
            }
        } catch (RuntimeException e) {
            // BouncyCastle throws on some malformed hellos (found by Jazzer: a reserved protocol
            // version {0xFE, 0xFE} gives IllegalArgumentException). Anyone can send these: ignore.
            ignored.incrementAndGet();
            return null;
        }
        if (request != null) {
            verified.incrementAndGet();
        } else if (reply.length > 0) {
            helloVerifyRequests.incrementAndGet();
            try {
                replyTo.send(reply.buf, 0, reply.length);
            } catch (IOException e) {
                // lost: the client retransmits its hello
            }
        } else {
            ignored.incrementAndGet();
        }
        return request;
    }

    /** The HelloVerifyRequest the current verifier made, held until we know the previous secret does not verify the cookie either. */
    private static final class Held implements DatagramSender {
        static final Held DISCARD = new Held(null);
        private final DatagramSender to;
        byte[] buf;
        int length;

        Held(DatagramSender to) {
            this.to = to;
        }

        @Override
        public int getSendLimit() throws IOException {
            return to != null ? to.getSendLimit() : 1200;
        }

        @Override
        public void send(byte[] b, int o, int l) {
            if (to == null)
                return;
            buf = java.util.Arrays.copyOfRange(b, o, o + l);
            length = l;
        }
    }

    /**
     * Whether a ClientHello record carries a cookie (RFC 6347 section 4.2.1: record header 13,
     * handshake header 12, version 2, random 32, session id, then the cookie's length byte):
     * only then is the previous secret worth an HMAC.
     */
    static boolean hasCookie(byte[] d, int off, int len) {
        int sid = off + 13 + 12 + 2 + 32;
        if (sid >= off + len)
            return false;
        int cookie = sid + 1 + (d[sid] & 0xff);
        return cookie < off + len && d[cookie] != 0;
    }

    /** HelloVerifyRequests sent (hellos without a valid cookie). */
    public long helloVerifyRequests() {
        return helloVerifyRequests.get();
    }

    /** Hellos with a valid cookie: the only ones that reach the expensive part. */
    public long verified() {
        return verified.get();
    }

    /** Of {@link #verified()}, those whose cookie came from the previous secret. */
    public long verifiedPrevious() {
        return verifiedPrevious.get();
    }

    /** Secret rotations so far. */
    public long rotations() {
        return rotations.get();
    }

    /** Datagrams that were not ClientHellos. */
    public long ignored() {
        return ignored.get();
    }

    static byte[] clientId(InetSocketAddress from) {
        byte[] ip = from.getAddress().getAddress();
        return ByteBuffer.allocate(ip.length + 2).put(ip).putShort((short) from.getPort()).array();
    }
}
