package re6st.peer;

/**
 * The code byte of a peer-protocol message (UDP 326, spec/peer-protocol.md section 5): the low
 * 7 bits are the code, bit 0x80 marks a relayed request or answer (section 6).
 */
public final class PeerCode {
    /** Network version: request body = a version blob; answer = ours when newer. */
    public static final int NEW_VERSION = 0;
    /** Address list ("ip,port,proto;..." and country). */
    public static final int ADDRESS = 1;
    /** Coordinated tunnel kill: request, then response. */
    public static final int TUNNEL_KILL_REQUEST = 2, TUNNEL_KILL_RESPONSE = 3;
    /** "&lt;software version&gt;, &lt;platform&gt;". */
    public static final int VERSION = 4;
    /** Tunnels of the node ({@link Topology}), answered only to the registry. */
    public static final int TOPOLOGY = 5;
    /** A text to log at the registry's node. */
    public static final int LOG = 7;
    /** The relay flag. */
    public static final int RELAY = 0x80;

    private PeerCode() {
    }

    /** The code without the relay flag. */
    public static int code(int codeByte) {
        return codeByte & 0x7f;
    }

    public static boolean relayed(int codeByte) {
        return (codeByte & RELAY) != 0;
    }
}
