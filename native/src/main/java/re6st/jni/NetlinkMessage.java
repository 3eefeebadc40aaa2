package re6st.jni;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The netlink wire format: writing requests (header, fixed family header, attributes) and
 * reading messages and attributes out of a received datagram. Pure code over a ByteBuffer,
 * so it is tested and fuzzed without a kernel. Every read is bounds-checked; a malformed
 * message raises {@link MalformedException}.
 */
final class NetlinkMessage {
    static final int HDRLEN = 16;
    // message types
    static final int NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;
    static final int RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_SETLINK = 19,
            RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22,
            RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26,
            RTM_NEWRULE = 32, RTM_DELRULE = 33, RTM_GETRULE = 34;
    // flags
    static final int NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP_INTR = 0x10,
            NLM_F_DUMP = 0x300, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400,
            NLM_F_ACK_TLVS = 0x200;
    static final int NLMSGERR_ATTR_MSG = 1;

    static final class MalformedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedException(String message) {
            super("malformed netlink message: " + message);
        }
    }

    static int align(int n) {
        return (n + 3) & ~3;
    }

    // ---------------------------------------------------------------- writing

    /** Builds one request into a reusable direct buffer (native byte order, as the kernel wants). */
    static final class Writer {
        final ByteBuffer buf;
        private int start;

        Writer(int capacity) {
            buf = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
        }

        Writer begin(int type, int flags, int seq) {
            buf.clear();
            start = 0;
            buf.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
            return this;
        }

        Writer u8(int v) {
            buf.put((byte) v);
            return this;
        }

        Writer u16(int v) {
            buf.putShort((short) v);
            return this;
        }

        Writer u32(int v) {
            buf.putInt(v);
            return this;
        }

        Writer attr(int type, byte[] data) {
            int len = 4 + data.length;
            buf.putShort((short) len).putShort((short) type).put(data);
            pad();
            return this;
        }

        Writer attrU32(int type, int v) {
            buf.putShort((short) 8).putShort((short) type).putInt(v);
            return this;
        }

        Writer attrU8(int type, int v) {
            buf.putShort((short) 5).putShort((short) type).put((byte) v);
            pad();
            return this;
        }

        Writer attrString(int type, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            byte[] z = new byte[b.length + 1];
            System.arraycopy(b, 0, z, 0, b.length);
            return attr(type, z);
        }

        Writer attrAddress(int type, InetAddress a) {
            return attr(type, a.getAddress());
        }

        private void pad() {
            while ((buf.position() & 3) != 0)
                buf.put((byte) 0);
        }

        /** Writes the total length into the header; returns it. */
        int finish() {
            int len = buf.position() - start;
            buf.putInt(start, len);
            return len;
        }
    }

    // ---------------------------------------------------------------- reading

    /** A cursor over the messages of one received datagram. */
    static final class Reader {
        private final ByteBuffer buf;
        private final int end;
        private int next;
        // current message
        int type, flags, seq, pid, payload, payloadEnd;

        Reader(ByteBuffer buf, int length) {
            this.buf = buf.duplicate().order(ByteOrder.nativeOrder());
            this.end = length;
        }

        /** Advances to the next message; false at the end of the datagram. */
        boolean next() {
            if (next + HDRLEN > end) {
                if (next != end && end - next >= 4)
                    throw new MalformedException("truncated header at " + next);
                return false;
            }
            int len = buf.getInt(next);
            if (len < HDRLEN || len > end - next)
                throw new MalformedException("length " + len + " at offset " + next + " of " + end);
            type = buf.getShort(next + 4) & 0xffff;
            flags = buf.getShort(next + 6) & 0xffff;
            seq = buf.getInt(next + 8);
            pid = buf.getInt(next + 12);
            payload = next + HDRLEN;
            payloadEnd = next + len;
            next += Math.min(align(len), end - next);
            return true;
        }

        int u8(int off) {
            check(off, 1);
            return buf.get(off) & 0xff;
        }

        int u16(int off) {
            check(off, 2);
            return buf.getShort(off) & 0xffff;
        }

        int i32(int off) {
            check(off, 4);
            return buf.getInt(off);
        }

        void check(int off, int len) {
            if (off < payload || off + len > payloadEnd)
                throw new MalformedException("field at " + off + "+" + len + " outside message [" + payload + "," + payloadEnd + ")");
        }

        /** Iterates the attributes in [from, payloadEnd). */
        Attrs attrs(int from) {
            if (from > payloadEnd)
                throw new MalformedException("fixed header longer than the message (type " + type + ")");
            return new Attrs(this, from, payloadEnd);
        }

        InetAddress address(int off, int len) {
            if (len != 4 && len != 16)
                throw new MalformedException("address of " + len + " bytes");
            check(off, len);
            byte[] b = new byte[len];
            buf.get(off, b);
            return re6st.net.IpPrefix.ofBytes(b); // ::ffff:a.b.c.d stays IPv6
        }

        String string(int off, int len) {
            check(off, len);
            byte[] b = new byte[len];
            buf.get(off, b);
            int n = 0;
            while (n < len && b[n] != 0)
                n++;
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }
    }

    /** A cursor over attributes: after {@link #next()}, {@code type}, {@code off} and {@code len} describe the data. */
    static final class Attrs {
        private final Reader r;
        private final int end;
        private int pos;
        int type, off, len;

        Attrs(Reader r, int from, int end) {
            this.r = r;
            this.pos = from;
            this.end = end;
        }

        boolean next() {
            if (pos + 4 > end)
                return false;
            int rlen = r.u16(pos);
            if (rlen < 4 || pos + rlen > end)
                throw new MalformedException("attribute length " + rlen + " at " + pos);
            type = r.u16(pos + 2) & 0x3fff; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
            off = pos + 4;
            len = rlen - 4;
            pos += align(rlen);
            return true;
        }

        int u32() {
            if (len < 4)
                throw new MalformedException("attribute " + type + " too short for u32");
            return r.i32(off);
        }

        int u8() {
            if (len < 1)
                throw new MalformedException("attribute " + type + " empty");
            return r.u8(off);
        }

        InetAddress address() {
            return r.address(off, len);
        }

        String string() {
            return r.string(off, len);
        }
    }

    private NetlinkMessage() {}
}
