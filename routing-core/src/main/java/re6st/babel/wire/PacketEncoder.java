package re6st.babel.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * Writes {@link Message}s into one Babel packet at a time, in a reusable buffer, the way babeld
 * 1.12.1 lays them out (spec/babel-interop.md), so that babeld parses what we send:
 * <ul>
 * <li>at most one sub-TLV per TLV (1.12.1 misparses a second one);
 * <li>a Router-Id TLV before an Update whenever the router-id changes, or Update flag 0x40
 *     instead when the prefix is an IPv6 /128 whose low 64 bits are the router-id;
 * <li>an AE 1 Next Hop before IPv4 Updates whenever the IPv4 next hop changes (receivers have no
 *     default IPv4 next hop); an IPv6 Next Hop only when an Update's next hop is not this
 *     interface's own link-local address, which receivers take by default;
 * <li>IPv6 prefixes compressed against the packet's default prefix, flag 0x80 (becomes the
 *     default) when there is no default yet or plen >= 48; IPv4 prefixes sent whole, as babeld;
 * <li>IHUs about link-local addresses with AE 3 (8 bytes), Hello with the unicast flag 0x8000.
 * </ul>
 *
 * <p>Use: {@link #add} messages until it returns false (packet full: nothing was written, the
 * caller sends this packet, {@link #reset}s and adds the message again); then {@link #finish}
 * writes the header and returns the length to sign; {@link #appendTrailer} adds MAC TLVs;
 * {@link #array()}/{@link #length()} or {@link #buffer()} give the datagram. Space for the
 * trailer is reserved from the start ({@code trailerReserve}). Nothing is allocated per message
 * (except the copies that the PC, challenge and MAC records make of their byte arrays). Not
 * thread-safe: one encoder per output buffer (per interface, or per neighbour for unicast), as
 * babeld's {@code struct buffered}. Which messages go together (one Hello per packet, PC first
 * or last, Updates sorted by router-id) is the caller's business.
 */
public final class PacketEncoder {
    /** Largest single {@link #add}: Router-Id + IPv6 Next Hop + Update with a source prefix. */
    private static final int SLACK = 256;
    /** Longest PC index and challenge nonce we send (babeld accepts up to these). */
    public static final int MAX_PC_INDEX = PacketDecoder.MAX_PC_INDEX;
    public static final int MAX_NONCE = PacketDecoder.MAX_NONCE;

    private final int maxSize;
    private final int bodyLimit;
    private final Addr self;
    private final byte[] buf;
    private final ByteBuffer view;

    private int pos;
    private int bodyEnd;
    private boolean finished;
    private int helloStart = -1; // offset of this packet's Hello, or -1
    private int helloTimestamp = -1; // offset of that Hello's 4-byte timestamp, or -1

    // What a receiver's parser state will be after the bytes written so far (RFC 8966 4.5).
    private boolean haveId;
    private long id;
    private Addr v4NextHop;
    private Addr v6NextHop; // null: the receiver's default, i.e. self
    private boolean haveDefault;
    private long defaultHi, defaultLo;

    // The same, saved by add() to undo a message that does not fit.
    private int markPos, markHello, markHelloTimestamp;
    private boolean markHaveId, markHaveDefault;
    private long markId, markDefaultHi, markDefaultLo;
    private Addr markV4NextHop, markV6NextHop;

    /**
     * @param maxSize        largest datagram (header + body + trailer) to produce; see {@link #maxSizeForMtu}
     * @param trailerReserve bytes kept free for {@link #appendTrailer} (2 + digest length per MAC; 0 without keys)
     * @param self           this interface's link-local address: the packets' source, which receivers
     *                       take as the IPv6 next hop of our Updates unless told otherwise
     */
    public PacketEncoder(int maxSize, int trailerReserve, Addr self) {
        if (trailerReserve < 0 || maxSize > PacketHeader.LENGTH + PacketHeader.MAX_BODY_LENGTH + trailerReserve
                || maxSize - PacketHeader.LENGTH - trailerReserve < 2)
            throw new IllegalArgumentException("packet size " + maxSize + " with " + trailerReserve + " bytes of trailer");
        this.maxSize = maxSize;
        this.bodyLimit = maxSize - trailerReserve;
        this.self = Objects.requireNonNull(self, "self");
        this.buf = new byte[maxSize + SLACK];
        this.view = ByteBuffer.wrap(buf);
        reset();
    }

    /**
     * babeld's packet size for an interface MTU: MTU (at least 512 here) minus 40 (IPv6 header),
     * 8 (UDP) and 12 "for good luck". babeld 1.12 counts the trailer inside it too.
     */
    public static int maxSizeForMtu(int mtu) {
        return Math.max(mtu, 512) - 60;
    }

    /** Empties the packet and forgets the compression state: the next packet starts afresh. */
    public void reset() {
        pos = PacketHeader.LENGTH;
        finished = false;
        helloStart = helloTimestamp = -1;
        haveId = false;
        v4NextHop = v6NextHop = null;
        haveDefault = false;
    }

    public boolean isEmpty() {
        return pos == PacketHeader.LENGTH && !finished;
    }

    public int bodyLength() {
        return (finished ? bodyEnd : pos) - PacketHeader.LENGTH;
    }

    /** Body bytes still free. */
    public int remaining() {
        return finished ? 0 : bodyLimit - pos;
    }

    /** True when this packet already holds a Hello (babeld sends at most one per packet). */
    public boolean hasHello() {
        return helloStart >= 0;
    }

    /**
     * Adds a message to the body. Returns false, writing nothing, when it does not fit; the
     * caller then sends this packet and adds the message to a fresh one.
     *
     * @throws IllegalArgumentException the message can never be encoded: too large for an empty
     *         packet, a field out of range, an IPv4 Update with a finite metric and no IPv4 next
     *         hop, mixed families, a {@link Message.Mac} (use {@link #appendTrailer})
     * @throws IllegalStateException after {@link #finish}
     */
    public boolean add(Message m) {
        if (finished)
            throw new IllegalStateException("packet finished: reset() first");
        mark();
        try {
            write(m);
        } catch (RuntimeException e) {
            rollback();
            throw e;
        }
        return fits(m);
    }

    /**
     * Adds an RFC 8967 PC TLV, like {@code add(new Message.Pc(pc, index))} but without the
     * message object: the sending path calls it for every packet.
     */
    public boolean addPc(long pc, byte[] index) {
        if (finished)
            throw new IllegalStateException("packet finished: reset() first");
        mark();
        try {
            pc(pc, index);
        } catch (RuntimeException e) {
            rollback();
            throw e;
        }
        return fits("PC");
    }

    /** After a write: true if it fits, else undone (and an error if it can never fit). */
    private boolean fits(Object what) {
        if (pos <= bodyLimit)
            return true;
        rollback();
        if (pos == PacketHeader.LENGTH)
            throw new IllegalArgumentException("message larger than an empty packet of " + maxSize + " bytes: " + what);
        return false;
    }

    private void mark() {
        markPos = pos;
        markHello = helloStart;
        markHelloTimestamp = helloTimestamp;
        markHaveId = haveId;
        markId = id;
        markHaveDefault = haveDefault;
        markDefaultHi = defaultHi;
        markDefaultLo = defaultLo;
        markV4NextHop = v4NextHop;
        markV6NextHop = v6NextHop;
    }

    private void rollback() {
        pos = markPos;
        helloStart = markHello;
        helloTimestamp = markHelloTimestamp;
        haveId = markHaveId;
        id = markId;
        haveDefault = markHaveDefault;
        defaultHi = markDefaultHi;
        defaultLo = markDefaultLo;
        v4NextHop = markV4NextHop;
        v6NextHop = markV6NextHop;
    }

    private void write(Message m) {
        // if-chain rather than a pattern switch: that is a preview feature in Java 17.
        if (m instanceof Message.Update u) {
            update(u);
        } else if (m instanceof Message.Hello h) {
            hello(h);
        } else if (m instanceof Message.Ihu i) {
            ihu(i);
        } else if (m instanceof Message.AckRequest a) {
            tlv(TlvType.ACK_REQUEST, 6);
            u16(0);
            u16(check16(a.nonce(), "nonce"));
            u16(check16(a.interval(), "interval"));
        } else if (m instanceof Message.Ack a) {
            tlv(TlvType.ACK, 2);
            u16(check16(a.nonce(), "nonce"));
        } else if (m instanceof Message.RouteRequest r) {
            routeRequest(r);
        } else if (m instanceof Message.SeqnoRequest r) {
            seqnoRequest(r);
        } else if (m instanceof Message.Pc p) {
            pc(p.pc(), p.index());
        } else if (m instanceof Message.ChallengeRequest c) {
            nonce(TlvType.CHALLENGE_REQUEST, c.nonce());
        } else if (m instanceof Message.ChallengeReply c) {
            nonce(TlvType.CHALLENGE_REPLY, c.nonce());
        } else if (m instanceof Message.Mac) {
            throw new IllegalArgumentException("MAC TLVs go in the trailer: use appendTrailer()");
        } else {
            throw new IllegalArgumentException("unknown message " + m);
        }
    }

    private void pc(long pc, byte[] index) {
        if (index.length > MAX_PC_INDEX)
            throw new IllegalArgumentException("PC index of " + index.length + " bytes (at most " + MAX_PC_INDEX + ")");
        tlv(TlvType.PC, 4 + index.length);
        u32(pc, "packet counter");
        bytes(index);
    }

    private void nonce(int type, byte[] nonce) {
        if (nonce.length > MAX_NONCE)
            throw new IllegalArgumentException("nonce of " + nonce.length + " bytes (at most " + MAX_NONCE + ")");
        tlv(type, nonce.length);
        bytes(nonce);
    }

    private void hello(Message.Hello h) {
        boolean ts = h.timestamp() != Message.NO_TIMESTAMP;
        helloStart = pos;
        tlv(TlvType.HELLO, ts ? 12 : 6);
        u16(h.unicast() ? 0x8000 : 0);
        u16(check16(h.seqno(), "seqno"));
        u16(check16(h.interval(), "interval"));
        if (ts) {
            subTlv(SubTlvType.TIMESTAMP, 4);
            helloTimestamp = pos;
            u32(h.timestamp(), "timestamp");
        } else {
            helloTimestamp = -1;
        }
    }

    /** True when this packet holds a Hello with a timestamp sub-TLV ({@link #stampHello} may be called). */
    public boolean hasTimestampedHello() {
        return helloTimestamp >= 0;
    }

    /**
     * Rewrites the timestamp of this packet's Hello: call just before sending, as babeld does, so
     * that the time spent waiting in the buffer does not count as RTT (RFC 9616 3.1).
     *
     * @throws IllegalStateException no Hello with a timestamp in this packet
     */
    public void stampHello(long timestamp) {
        if (helloTimestamp < 0)
            throw new IllegalStateException("no timestamped Hello in this packet");
        int saved = pos;
        pos = helloTimestamp;
        u32(timestamp, "timestamp");
        pos = saved;
    }

    private void ihu(Message.Ihu i) {
        Addr a = i.address();
        boolean ts = i.origin() != Message.NO_TIMESTAMP || i.receive() != Message.NO_TIMESTAMP;
        int ae = a == null ? AddressEncoding.WILDCARD : a.isV4() ? AddressEncoding.IPV4
                : a.hi() == AddressEncoding.LINK_LOCAL_HI ? AddressEncoding.IPV6_LINK_LOCAL : AddressEncoding.IPV6;
        tlv(TlvType.IHU, 6 + addressLength(ae) + (ts ? 10 : 0));
        u8(ae);
        u8(0);
        u16(check16(i.rxcost(), "rxcost"));
        u16(check16(i.interval(), "interval"));
        address(ae, a);
        if (ts) {
            subTlv(SubTlvType.TIMESTAMP, 8);
            u32(i.origin(), "origin timestamp");
            u32(i.receive(), "receive timestamp");
        }
    }

    private void update(Message.Update u) {
        check16(u.seqno(), "seqno");
        check16(u.metric(), "metric");
        check16(u.interval(), "interval");
        Prefix p = u.prefix();
        if (p == null) {
            if (u.metric() != Message.INFINITY || u.source() != null)
                throw new IllegalArgumentException("a wildcard Update is a retraction without source: " + u);
            tlv(TlvType.UPDATE, 10);
            u8(AddressEncoding.WILDCARD);
            u8(0);
            u8(0);
            u8(0);
            u16(u.interval());
            u16(u.seqno());
            u16(Message.INFINITY);
            haveId = false; // babeld does this; harmless
            return;
        }
        boolean v4 = p.isV4();
        Prefix src = source(u.source(), v4, u);
        int flags = 0, omit = 0, plen = p.familyLength();
        if (v4) {
            Addr nh = u.nextHop();
            if (nh == null) {
                if (u.metric() != Message.INFINITY)
                    throw new IllegalArgumentException("an IPv4 Update needs an IPv4 next hop: " + u);
            } else if (!nh.isV4()) {
                throw new IllegalArgumentException("IPv4 prefix with an IPv6 next hop (v4-via-v6 is not supported): " + u);
            } else if (!nh.equals(v4NextHop)) {
                tlv(TlvType.NEXT_HOP, 6);
                u8(AddressEncoding.IPV4);
                u8(0);
                address(AddressEncoding.IPV4, nh);
                v4NextHop = nh;
            }
        } else {
            Addr nh = u.nextHop() == null ? self : u.nextHop();
            if (nh.isV4())
                throw new IllegalArgumentException("IPv6 prefix with an IPv4 next hop: " + u);
            if (!nh.equals(v6NextHop == null ? self : v6NextHop)) {
                int ae = nh.hi() == AddressEncoding.LINK_LOCAL_HI ? AddressEncoding.IPV6_LINK_LOCAL : AddressEncoding.IPV6;
                tlv(TlvType.NEXT_HOP, 2 + addressLength(ae));
                u8(ae);
                u8(0);
                address(ae, nh);
                v6NextHop = nh;
            }
            if (haveDefault)
                while (omit < plen / 8 && addrByte(defaultHi, defaultLo, omit) == addrByte(p.addr().hi(), p.addr().lo(), omit))
                    omit++;
            if (!haveDefault || plen >= 48)
                flags |= 0x80;
        }
        if (!haveId || id != u.routerId()) {
            if (!v4 && plen == 128 && p.addr().lo() == u.routerId())
                flags |= 0x40;
            else {
                tlv(TlvType.ROUTER_ID, 10);
                u16(0);
                u64(u.routerId());
            }
            id = u.routerId();
            haveId = true;
        }
        int pb = (plen + 7) / 8;
        int spb = src == null ? 0 : (src.familyLength() + 7) / 8;
        tlv(TlvType.UPDATE, 10 + pb - omit + (src == null ? 0 : 3 + spb));
        u8(v4 ? AddressEncoding.IPV4 : AddressEncoding.IPV6);
        u8(flags);
        u8(plen);
        u8(omit);
        u16(u.interval());
        u16(u.seqno());
        u16(u.metric());
        prefixBytes(p, omit, pb);
        sourcePrefix(src, spb);
        if ((flags & 0x80) != 0) {
            haveDefault = true;
            defaultHi = p.addr().hi();
            defaultLo = p.addr().lo();
        }
    }

    private void routeRequest(Message.RouteRequest r) {
        Prefix p = r.prefix();
        if (p == null) {
            if (r.source() != null)
                throw new IllegalArgumentException("a wildcard Route Request has no source prefix: " + r);
            tlv(TlvType.ROUTE_REQUEST, 2);
            u8(AddressEncoding.WILDCARD);
            u8(0);
            return;
        }
        Prefix src = source(r.source(), p.isV4(), r);
        int pb = (p.familyLength() + 7) / 8;
        int spb = src == null ? 0 : (src.familyLength() + 7) / 8;
        tlv(TlvType.ROUTE_REQUEST, 2 + pb + (src == null ? 0 : 3 + spb));
        u8(p.isV4() ? AddressEncoding.IPV4 : AddressEncoding.IPV6);
        u8(p.familyLength());
        prefixBytes(p, 0, pb);
        sourcePrefix(src, spb);
    }

    private void seqnoRequest(Message.SeqnoRequest r) {
        Prefix p = Objects.requireNonNull(r.prefix(), "a Seqno Request is about a prefix");
        Prefix src = source(r.source(), p.isV4(), r);
        int pb = (p.familyLength() + 7) / 8;
        int spb = src == null ? 0 : (src.familyLength() + 7) / 8;
        tlv(TlvType.SEQNO_REQUEST, 14 + pb + (src == null ? 0 : 3 + spb));
        u8(p.isV4() ? AddressEncoding.IPV4 : AddressEncoding.IPV6);
        u8(p.familyLength());
        u16(check16(r.seqno(), "seqno"));
        u8(check8(r.hopCount(), "hop count"));
        u8(0);
        u64(r.routerId());
        prefixBytes(p, 0, pb);
        sourcePrefix(src, spb);
    }

    /** The source prefix to send: null for none or default; same family as the destination. */
    private static Prefix source(Prefix src, boolean v4, Message m) {
        if (src == null || src.isDefault() && src.isV4() == v4)
            return null;
        if (src.isV4() != v4)
            throw new IllegalArgumentException("destination and source of different families: " + m);
        return src;
    }

    private void sourcePrefix(Prefix src, int spb) {
        if (src == null)
            return;
        subTlv(SubTlvType.SOURCE_PREFIX, 1 + spb);
        u8(src.familyLength());
        prefixBytes(src, 0, spb);
    }

    /** Bytes {@code from .. pb} of the prefix in its family's form (IPv4: the 4 address bytes). */
    private void prefixBytes(Prefix p, int from, int pb) {
        long hi = p.addr().hi(), lo = p.addr().lo();
        int base = p.isV4() ? 12 : 0;
        for (int i = from; i < pb; i++)
            buf[pos++] = addrByte(hi, lo, base + i);
    }

    private static byte addrByte(long hi, long lo, int i) {
        return (byte) (i < 8 ? hi >>> (56 - 8 * i) : lo >>> (120 - 8 * i));
    }

    private static int addressLength(int ae) {
        return switch (ae) {
            case AddressEncoding.WILDCARD -> 0;
            case AddressEncoding.IPV4 -> 4;
            case AddressEncoding.IPV6_LINK_LOCAL -> 8;
            default -> 16;
        };
    }

    private void address(int ae, Addr a) {
        switch (ae) {
            case AddressEncoding.WILDCARD -> {
            }
            case AddressEncoding.IPV4 -> u32(a.lo() & 0xFFFF_FFFFL, "address");
            case AddressEncoding.IPV6_LINK_LOCAL -> u64(a.lo());
            default -> {
                u64(a.hi());
                u64(a.lo());
            }
        }
    }

    /**
     * Writes the packet header; returns the length of header + body, which starts at index 0 of
     * {@link #array()}: what an RFC 8967 MAC covers after the pseudo-header. Call once per packet.
     */
    public int finish() {
        if (finished)
            throw new IllegalStateException("packet already finished");
        bodyEnd = pos;
        PacketHeader.write(buf, 0, pos - PacketHeader.LENGTH);
        finished = true;
        return pos;
    }

    /**
     * Appends a MAC TLV (exact digest length, no padding) to the trailer of a finished packet.
     * Returns false, writing nothing, when the packet would exceed its maximum size.
     */
    public boolean appendTrailer(Message.Mac mac) {
        byte[] digest = mac.digest();
        int at = appendMac(digest.length);
        if (at < 0)
            return false;
        System.arraycopy(digest, 0, buf, at, digest.length);
        return true;
    }

    /**
     * Appends a MAC TLV of {@code digestLength} bytes to the trailer of a finished packet and
     * returns the index in {@link #array()} where the caller writes the digest (computed over
     * {@code array()[0 .. finish())}, which it does not overlap); -1, writing nothing, when the
     * packet would exceed its maximum size. The signing path's form: no copy of the digest.
     */
    public int appendMac(int digestLength) {
        if (!finished)
            throw new IllegalStateException("finish() the body before the trailer");
        if (digestLength <= 0 || digestLength > 255)
            throw new IllegalArgumentException("MAC digest of " + digestLength + " bytes");
        if (pos + 2 + digestLength > maxSize)
            return -1;
        tlv(TlvType.MAC, digestLength);
        int at = pos;
        pos += digestLength;
        return at;
    }

    /** The packet, from index 0; valid until the next {@link #reset}. */
    public byte[] array() {
        return buf;
    }

    /** Length of the packet (header, body and trailer) once {@link #finish}ed. */
    public int length() {
        if (!finished)
            throw new IllegalStateException("finish() first");
        return pos;
    }

    /** The finished packet as a reusable ByteBuffer view: position 0, limit {@link #length()}. */
    public ByteBuffer buffer() {
        return view.clear().limit(length());
    }

    /** A copy of the finished packet (tests, logging). */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, length());
    }

    private void tlv(int type, int length) {
        if (length > 255)
            throw new IllegalArgumentException("TLV " + type + " of " + length + " bytes");
        buf[pos++] = (byte) type;
        buf[pos++] = (byte) length;
    }

    private void subTlv(int type, int length) {
        tlv(type, length);
    }

    private void u8(int v) {
        buf[pos++] = (byte) v;
    }

    private static int check8(int v, String what) {
        if (v < 0 || v > 0xFF)
            throw new IllegalArgumentException(what + " " + v + " outside 0..255");
        return v;
    }

    private static int check16(int v, String what) {
        if (v < 0 || v > 0xFFFF)
            throw new IllegalArgumentException(what + " " + v + " outside 0..65535");
        return v;
    }

    private void u16(int v) {
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void u32(long v, String what) {
        if (v < 0 || v > 0xFFFF_FFFFL)
            throw new IllegalArgumentException(what + " " + v + " outside 0..2^32-1");
        u16((int) (v >>> 16));
        u16((int) v);
    }

    private void u64(long v) {
        u16((int) (v >>> 48));
        u16((int) (v >>> 32));
        u16((int) (v >>> 16));
        u16((int) v);
    }

    private void bytes(byte[] b) {
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }
}
