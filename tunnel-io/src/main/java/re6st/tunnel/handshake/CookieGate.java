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
 * each. Wraps BouncyCastle's {@link DTLSVerifier}; thread-safe; counts what it did.
 */
public final class CookieGate {
    private final DTLSVerifier verifier;
    private final AtomicLong helloVerifyRequests = new AtomicLong(), verified = new AtomicLong(), ignored = new AtomicLong();

    public CookieGate() {
        this(DtlsHandshake.crypto());
    }

    public CookieGate(TlsCrypto crypto) {
        this.verifier = new DTLSVerifier(crypto);
    }

    /**
     * Checks one datagram received from {@code from}. Returns the verified request (go on with
     * {@link DtlsHandshake#accept(DatagramTransport, DTLSRequest, Credentials, java.time.Duration)}),
     * or null: a HelloVerifyRequest was sent back through {@code replyTo}, or the datagram was not
     * a ClientHello and was ignored.
     */
    public DTLSRequest check(InetSocketAddress from, byte[] data, int off, int len, DatagramSender replyTo) {
        DatagramSender counting = new DatagramSender() {
            @Override
            public int getSendLimit() throws IOException {
                return replyTo.getSendLimit();
            }

            @Override
            public void send(byte[] buf, int o, int l) throws IOException {
                helloVerifyRequests.incrementAndGet();
                replyTo.send(buf, o, l);
            }
        };
        long before = helloVerifyRequests.get();
        DTLSRequest request;
        try {
            request = verifier.verifyRequest(clientId(from), data, off, len, counting);
        } catch (RuntimeException e) {
            // BouncyCastle throws on some malformed hellos (found by Jazzer: a reserved protocol
            // version {0xFE, 0xFE} gives IllegalArgumentException). Anyone can send these: ignore.
            ignored.incrementAndGet();
            return null;
        }
        if (request != null)
            verified.incrementAndGet();
        else if (helloVerifyRequests.get() == before)
            ignored.incrementAndGet();
        return request;
    }

    /** HelloVerifyRequests sent (hellos without a valid cookie). */
    public long helloVerifyRequests() {
        return helloVerifyRequests.get();
    }

    /** Hellos with a valid cookie: the only ones that reach the expensive part. */
    public long verified() {
        return verified.get();
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
