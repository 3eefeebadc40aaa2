package re6st.babel.wire;

import java.util.HexFormat;

import re6st.babel.message.Addr;

/** Hex helpers for hand-built packets: spaces are for reading, {@code |} separates TLVs. */
final class WireTestSupport {
    static final Addr SOURCE = Addr.parse("fe80::1");

    private WireTestSupport() {
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("[\\s|]", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** A packet: header (magic 42, version 2, body length) + body, no trailer. */
    static byte[] packet(String body) {
        return packet(body, "");
    }

    static byte[] packet(String body, String trailer) {
        byte[] b = hex(body), t = hex(trailer);
        byte[] p = new byte[4 + b.length + t.length];
        new PacketHeader(b.length).write(p, 0);
        System.arraycopy(b, 0, p, 4, b.length);
        System.arraycopy(t, 0, p, 4 + b.length, t.length);
        return p;
    }

    static DecodedPacket decode(byte[] packet) {
        try {
            return PacketDecoder.decode(packet, SOURCE);
        } catch (MalformedPacketException e) {
            throw new AssertionError(e);
        }
    }
}
