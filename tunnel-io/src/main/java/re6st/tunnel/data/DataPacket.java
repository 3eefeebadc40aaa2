package re6st.tunnel.data;

/**
 * The encrypted data packet on the wire (RFC 5116 AEAD, AES-256-GCM):
 * <pre>
 *  0      type      0x01 = data
 *  1      epoch     rekey generation of the sender's key (mod 256)
 *  2      session   tag of the handshake whose keys sealed it (a renewed session has another: both
 *                   are open during the change-over; see TunnelSession)
 *  3      reserved  0
 *  4..11  counter   64-bit big-endian packet number: the nonce is salt(4) || counter(8)
 *  12..   ciphertext of the inner IP packet, then the 16-byte GCM tag
 * </pre>
 * The 12-byte header is the additional authenticated data: it cannot be changed unnoticed.
 */
public final class DataPacket {
    public static final int TYPE_DATA = 0x01;
    public static final int HEADER = 12;
    /** Offset of the session tag. */
    public static final int SESSION = 2;
    public static final int TAG = 16;
    /** Bytes a data packet adds to the inner packet. */
    public static final int OVERHEAD = HEADER + TAG;

    private DataPacket() {}
}
