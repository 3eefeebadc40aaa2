package re6st.tunnel.handshake;

import java.io.IOException;

/**
 * The server refused an authenticated client for a reason of its own, not of the certificate
 * (it has its maximum of clients): the handshake stops at the client's certificate, or right
 * after its proof of the key ({@link DtlsHandshake.Admission}), before the Finished messages and
 * any session key, and the client receives an {@code access_denied} alert, which it reports as
 * {@link DtlsHandshake.HandshakeAbortedException} and backs off on.
 */
public final class AdmissionRefusedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String peerCn;

    public AdmissionRefusedException(String peerCn, String why) {
        super(peerCn + " refused: " + why);
        this.peerCn = peerCn;
    }

    /** The CN of the refused client (its certificate was valid). */
    public String peerCn() {
        return peerCn;
    }
}
