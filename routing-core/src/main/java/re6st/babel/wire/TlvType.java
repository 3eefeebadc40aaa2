package re6st.babel.wire;

/** TLV type numbers (RFC 8966 4.3, RFC 8967 MAC/PC/challenges). Sub-TLV numbers are separate. */
public final class TlvType {
    public static final int PAD1 = 0;
    public static final int PADN = 1;
    public static final int ACK_REQUEST = 2;
    public static final int ACK = 3;
    public static final int HELLO = 4;
    public static final int IHU = 5;
    public static final int ROUTER_ID = 6;
    public static final int NEXT_HOP = 7;
    public static final int UPDATE = 8;
    public static final int ROUTE_REQUEST = 9;
    public static final int SEQNO_REQUEST = 10;
    public static final int MAC = 16;
    public static final int PC = 17;
    public static final int CHALLENGE_REQUEST = 18;
    public static final int CHALLENGE_REPLY = 19;

    private TlvType() {
    }
}
