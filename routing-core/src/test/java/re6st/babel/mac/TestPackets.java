package re6st.babel.mac;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;

/**
 * Babel packets built by hand for the tests (the real codec lives in re6st.babel.wire): header
 * 42/2/length, body TLVs, then a trailer of MAC TLVs computed with the given keys.
 */
final class TestPackets {
    /** A datagram and what a decoder would have made of it. */
    record Received(byte[] datagram, List<Message> body, List<Message> trailer) {
        Verdict checkBy(Authenticator a, Addr src, Addr dst, boolean multicast, long now) {
            return a.check(datagram, 0, datagram.length, src, dst, multicast, body, trailer, now);
        }
    }

    private TestPackets() {
    }

    /** Header and body only. */
    static byte[] unsigned(List<Message> body) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Message m : body) {
            if (m instanceof Message.Pc pc) {
                byte[] idx = pc.index();
                b.write(17);
                b.write(4 + idx.length);
                writeInt(b, pc.pc());
                b.writeBytes(idx);
            } else if (m instanceof Message.ChallengeRequest r) {
                b.write(18);
                b.write(r.nonce().length);
                b.writeBytes(r.nonce());
            } else if (m instanceof Message.ChallengeReply r) {
                b.write(19);
                b.write(r.nonce().length);
                b.writeBytes(r.nonce());
            } else if (m instanceof Message.Hello h) {
                b.write(4);
                b.write(6);
                b.write(h.unicast() ? 0x80 : 0);
                b.write(0);
                b.write(h.seqno() >>> 8);
                b.write(h.seqno());
                b.write(h.interval() >>> 8);
                b.write(h.interval());
            } else {
                throw new IllegalArgumentException("test encoder: " + m);
            }
        }
        byte[] body0 = b.toByteArray();
        byte[] p = new byte[4 + body0.length];
        p[0] = 42;
        p[1] = 2;
        p[2] = (byte) (body0.length >>> 8);
        p[3] = (byte) body0.length;
        System.arraycopy(body0, 0, p, 4, body0.length);
        return p;
    }

    /** A packet signed with {@code keys} (one MAC TLV each) for the pseudo-header src/dst, port 6696. */
    static Received signed(List<MacKey> keys, Addr src, Addr dst, Message... body) {
        byte[] p = unsigned(List.of(body));
        byte[] prefix = PseudoHeader.prefix(src, PseudoHeader.BABEL_PORT, dst, PseudoHeader.BABEL_PORT);
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        d.writeBytes(p);
        List<Message> trailer = new ArrayList<>();
        for (MacKey k : keys) {
            byte[] mac = k.compute(prefix, p, 0, p.length);
            d.write(16);
            d.write(mac.length);
            d.writeBytes(mac);
            trailer.add(new Message.Mac(mac));
        }
        return new Received(d.toByteArray(), List.of(body), trailer);
    }

    /**
     * What a peer gets from {@code sender}: a packet with {@code sender}'s next PC first, then
     * {@code more}, signed by {@link Authenticator#sign}; the trailer decoded back by hand.
     */
    static Received from(Authenticator sender, Addr src, Addr dst, List<Message> more) {
        List<Message> body = new ArrayList<>();
        body.add(sender.nextPc());
        body.addAll(more);
        byte[] p = unsigned(body);
        byte[] trailerBytes = sender.sign(p, 0, p.length, src, dst);
        byte[] d = new byte[p.length + trailerBytes.length];
        System.arraycopy(p, 0, d, 0, p.length);
        System.arraycopy(trailerBytes, 0, d, p.length, trailerBytes.length);
        List<Message> trailer = new ArrayList<>();
        for (int i = 0; i < trailerBytes.length; ) {
            if (trailerBytes[i] != 16)
                throw new AssertionError("trailer TLV type " + trailerBytes[i]);
            int len = trailerBytes[i + 1] & 0xFF;
            byte[] mac = new byte[len];
            System.arraycopy(trailerBytes, i + 2, mac, 0, len);
            trailer.add(new Message.Mac(mac));
            i += 2 + len;
        }
        return new Received(d, body, trailer);
    }

    private static void writeInt(ByteArrayOutputStream b, long v) {
        b.write((int) (v >>> 24));
        b.write((int) (v >>> 16));
        b.write((int) (v >>> 8));
        b.write((int) v);
    }
}
