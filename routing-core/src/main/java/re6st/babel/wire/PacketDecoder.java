package re6st.babel.wire;

import static re6st.babel.wire.DecodeIssue.Reason.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import re6st.babel.message.Addr;
import re6st.babel.message.Message;
import re6st.babel.message.Prefix;

/**
 * Turns a received Babel datagram into {@link Message}s (RFC 8966 section 4, RFC 9616 timestamps,
 * RFC 9079 source prefixes, RFC 8967 PC/challenge/MAC TLVs), following babeld 1.12.1's
 * {@code parse_packet} wherever RFC 8966 leaves a choice (spec/babel-interop.md).
 *
 * <p>Only the 4-byte header can make the whole packet unusable: bad magic or version, or fewer than
 * 4 bytes, throw {@link MalformedPacketException}. After the header, decoding never throws: a TLV
 * that fails to parse is skipped, one that is understood but not for us is ignored, and both are
 * listed in {@link DecodedPacket#issues()}; a TLV that runs past the end of the body stops the walk,
 * keeping what came before. A body length larger than the datagram is clamped, as babeld does.
 *
 * <p>Per-packet state, applied to Updates (RFC 8966 4.5): the current router-id (Router-Id TLV or
 * Update flag 0x40), one default prefix per AE (Update flag 0x80, used by {@code omitted > 0}), and
 * one next hop per family. The IPv6 next hop defaults to the packet's source; the IPv4 one has no
 * default: a finite-metric AE 1 Update needs an AE 1 Next Hop earlier in the packet. Resets follow
 * babeld: a malformed Router-Id forgets the router-id, a malformed Next Hop both next hops, a
 * malformed Update with flag 0x80 every default prefix.
 *
 * <p>What the Update records carry in the corner cases: {@code routerId} is 0 for a retraction sent
 * before any router-id; {@code nextHop} is null for an IPv4 retraction sent before any AE 1 Next Hop.
 * A wildcard retraction (AE 0) has {@code prefix}, {@code source} and {@code nextHop} null and
 * {@code routerId} 0. {@code source} is null when absent or default.
 *
 * <p>One deliberate difference from babeld: an AE 2 prefix or address inside ::ffff:0:0/96 (plen
 * 96 or more) is malformed here, since with IPv4 held IPv4-mapped it would pass for IPv4.
 *
 * <p>Not the decoder's job (the protocol core does it): martian prefixes, our own router-id, the
 * neighbour's link-local source check, MAC verification and PC/challenge logic. Several PCs are all
 * returned in order; babeld uses the first.
 */
public final class PacketDecoder {
    /** babeld: a PC index longer than this is "overlong". */
    public static final int MAX_PC_INDEX = 32;
    /** babeld: a challenge nonce longer than this is "overlong". */
    public static final int MAX_NONCE = 192;

    private final byte[] buf;
    private final int origin;
    private final Addr source;
    private final List<Message> body = new ArrayList<>();
    private final List<Message.Mac> trailer = new ArrayList<>(1);
    private List<DecodeIssue> issues = List.of();

    // Per-packet parser state (RFC 8966 4.5).
    private boolean haveRouterId;
    private long routerId;
    private final byte[] v4Default = new byte[16];
    private final byte[] v6Default = new byte[16];
    private boolean haveV4Default, haveV6Default;
    private Addr v4NextHop, v6NextHop;

    // Outputs of the prefix and sub-TLV parsers, valid right after the call.
    private final byte[] scratch = new byte[16];
    private Prefix parsedPrefix;
    private Prefix parsedSource;
    private long timestamp1, timestamp2;

    private PacketDecoder(byte[] buf, int origin, Addr source) {
        this.buf = buf;
        this.origin = origin;
        this.source = source;
    }

    /**
     * Decodes the datagram {@code buf[off .. off+len)} received from {@code sourceLinkLocal}.
     *
     * @param sourceLinkLocal the packet's source address: the default IPv6 next hop of its Updates
     * @throws MalformedPacketException the header is unusable (fewer than 4 bytes, magic, version)
     * @throws IndexOutOfBoundsException {@code off}/{@code len} are not inside {@code buf}
     */
    public static DecodedPacket decode(byte[] buf, int off, int len, Addr sourceLinkLocal) throws MalformedPacketException {
        Objects.requireNonNull(sourceLinkLocal, "sourceLinkLocal");
        Packet packet = Packet.parse(buf, off, len);
        PacketDecoder d = new PacketDecoder(buf, off, sourceLinkLocal);
        if (packet.isClamped())
            d.issue(BODY_LENGTH_CLAMPED, 2, -1);
        d.walk(packet.body(), true);
        d.walk(packet.trailer(), false);
        return new DecodedPacket(d.body, d.trailer, off, PacketHeader.LENGTH + packet.bodyLength(), d.issues);
    }

    public static DecodedPacket decode(byte[] datagram, Addr sourceLinkLocal) throws MalformedPacketException {
        return decode(datagram, 0, datagram.length, sourceLinkLocal);
    }

    private void walk(TlvReader tlvs, boolean isBody) {
        while (true) {
            try {
                if (!tlvs.next())
                    return;
            } catch (MalformedPacketException e) {
                issue(TRUNCATED_TLV, e.offset(), buf[origin + e.offset()] & 0xFF);
                return;
            }
            int type = tlvs.type();
            if (type == TlvType.PAD1 || type == TlvType.PADN)
                continue;
            if (isBody)
                bodyTlv(type, tlvs.valueOffset(), tlvs.length(), tlvs.offset());
            else
                trailerTlv(type, tlvs.valueOffset(), tlvs.length(), tlvs.offset());
        }
    }

    private void trailerTlv(int type, int v, int len, int at) {
        if (type != TlvType.MAC)
            issue(NOT_MAC_IN_TRAILER, at, type);
        else if (len == 0)
            issue(BAD_LENGTH, at, type);
        else
            trailer.add(new Message.Mac(Arrays.copyOfRange(buf, v, v + len)));
    }

    /** One body TLV: {@code buf[v .. v+len)} is its value, {@code at} its offset in the packet. */
    private void bodyTlv(int type, int v, int len, int at) {
        int end = v + len;
        switch (type) {
            case TlvType.ACK_REQUEST -> {
                if (len < 6)
                    issue(TOO_SHORT, at, type);
                else if (subTlvs(type, 0, v + 6, end, at))
                    body.add(new Message.AckRequest(u16(v + 2), u16(v + 4)));
            }
            case TlvType.ACK -> {
                if (len < 2)
                    issue(TOO_SHORT, at, type);
                else if (subTlvs(type, 0, v + 2, end, at))
                    body.add(new Message.Ack(u16(v)));
            }
            case TlvType.HELLO -> {
                if (len < 6)
                    issue(TOO_SHORT, at, type);
                else if (subTlvs(type, 0, v + 6, end, at))
                    body.add(new Message.Hello((buf[v] & 0x80) != 0, u16(v + 2), u16(v + 4), timestamp1));
            }
            case TlvType.IHU -> ihu(v, len, at);
            case TlvType.ROUTER_ID -> {
                if (len < 10) {
                    haveRouterId = false;
                    issue(TOO_SHORT, at, type);
                    return;
                }
                // As babeld: the id is in force even if a sub-TLV then makes the TLV ignored.
                routerId = u64(v + 2);
                haveRouterId = true;
                subTlvs(type, 0, v + 10, end, at);
            }
            case TlvType.NEXT_HOP -> nextHop(v, len, at);
            case TlvType.UPDATE -> update(v, len, at);
            case TlvType.ROUTE_REQUEST -> routeRequest(v, len, at);
            case TlvType.SEQNO_REQUEST -> seqnoRequest(v, len, at);
            case TlvType.PC -> {
                if (len < 4 || len - 4 > MAX_PC_INDEX)
                    issue(BAD_LENGTH, at, type);
                else
                    body.add(new Message.Pc(u32(v), Arrays.copyOfRange(buf, v + 4, end)));
            }
            case TlvType.CHALLENGE_REQUEST, TlvType.CHALLENGE_REPLY -> {
                if (len > MAX_NONCE) {
                    issue(BAD_LENGTH, at, type);
                    return;
                }
                byte[] nonce = Arrays.copyOfRange(buf, v, end);
                body.add(type == TlvType.CHALLENGE_REQUEST ? new Message.ChallengeRequest(nonce)
                        : new Message.ChallengeReply(nonce));
            }
            case TlvType.MAC -> issue(MAC_IN_BODY, at, type);
            default -> issue(UNKNOWN_TLV, at, type);
        }
    }

    private void ihu(int v, int len, int at) {
        int type = TlvType.IHU;
        if (len < 6) {
            issue(TOO_SHORT, at, type);
            return;
        }
        int ae = buf[v] & 0xFF;
        if (!knownAe(ae, at, type))
            return;
        int rc = address(ae, v + 6, len - 6);
        if (rc < 0) {
            issue(BAD_PREFIX, at, type);
            return;
        }
        if (!subTlvs(type, ae, v + 6 + rc, v + len, at))
            return;
        Addr address = ae == AddressEncoding.WILDCARD ? null : parsedPrefix.addr();
        body.add(new Message.Ihu(address, u16(v + 2), u16(v + 4), timestamp1, timestamp2));
    }

    private void nextHop(int v, int len, int at) {
        int type = TlvType.NEXT_HOP;
        if (len < 2) {
            v4NextHop = v6NextHop = null;
            issue(TOO_SHORT, at, type);
            return;
        }
        int ae = buf[v] & 0xFF;
        if (!knownAe(ae, at, type))
            return;
        if (ae == AddressEncoding.WILDCARD) {
            issue(WILDCARD_NOT_ALLOWED, at, type);
            return;
        }
        int rc = address(ae, v + 2, len - 2);
        if (rc < 0) {
            v4NextHop = v6NextHop = null;
            issue(BAD_PREFIX, at, type);
            return;
        }
        if (ae == AddressEncoding.IPV4)
            v4NextHop = parsedPrefix.addr();
        else
            v6NextHop = parsedPrefix.addr();
        subTlvs(type, ae, v + 2 + rc, v + len, at);
    }

    private void update(int v, int len, int at) {
        int type = TlvType.UPDATE;
        if (len < 10) {
            if (len < 2 || (buf[v + 1] & 0x80) != 0)
                haveV4Default = haveV6Default = false;
            issue(TOO_SHORT, at, type);
            return;
        }
        int ae = buf[v] & 0xFF, flags = buf[v + 1] & 0xFF, plen = buf[v + 2] & 0xFF, omitted = buf[v + 3] & 0xFF;
        if (!knownAe(ae, at, type))
            return;
        int interval = u16(v + 4), seqno = u16(v + 6), metric = u16(v + 8);
        boolean v4 = ae == AddressEncoding.IPV4;
        byte[] dflt = null;
        if (omitted > 0) {
            if (v4 && haveV4Default)
                dflt = v4Default;
            else if (ae == AddressEncoding.IPV6 && haveV6Default)
                dflt = v6Default;
            else {
                if ((flags & 0x80) != 0)
                    haveV4Default = haveV6Default = false;
                issue(NO_DEFAULT_PREFIX, at, type);
                return;
            }
        }
        int rc = prefix(ae, plen, omitted, v + 10, len - 10, dflt);
        if (rc < 0) {
            if ((flags & 0x80) != 0)
                haveV4Default = haveV6Default = false;
            issue(BAD_PREFIX, at, type);
            return;
        }
        Prefix prefix = parsedPrefix;
        if ((flags & 0x80) != 0) {
            if (v4) {
                System.arraycopy(scratch, 0, v4Default, 0, 16);
                haveV4Default = true;
            } else if (ae == AddressEncoding.IPV6) {
                System.arraycopy(scratch, 0, v6Default, 0, 16);
                haveV6Default = true;
            }
        }
        if ((flags & 0x40) != 0) {
            // IPv6: the low 64 bits; IPv4: the 4 address bytes, zero-extended (babeld, RFC 8966 4.6.9).
            routerId = v4 ? prefix.addr().lo() & 0xFFFF_FFFFL : prefix.addr().lo();
            haveRouterId = true;
        }
        if (metric < Message.INFINITY && !haveRouterId && ae != AddressEncoding.WILDCARD) {
            issue(NO_ROUTER_ID, at, type);
            return;
        }
        Addr nh;
        if (v4) {
            if (v4NextHop == null && metric < Message.INFINITY) {
                issue(NO_IPV4_NEXT_HOP, at, type);
                return;
            }
            nh = v4NextHop;
        } else {
            nh = v6NextHop != null ? v6NextHop : source;
        }
        if (!subTlvs(type, ae, v + 10 + rc, v + len, at))
            return;
        if (ae == AddressEncoding.WILDCARD) {
            if (metric < Message.INFINITY)
                issue(WILDCARD_UPDATE_NOT_RETRACTION, at, type);
            else if (parsedSource != null)
                issue(WILDCARD_WITH_SOURCE, at, type);
            else
                body.add(new Message.Update(null, null, 0, null, seqno, metric, interval));
            return;
        }
        body.add(new Message.Update(prefix, parsedSource, haveRouterId ? routerId : 0, nh, seqno, metric, interval));
    }

    private void routeRequest(int v, int len, int at) {
        int type = TlvType.ROUTE_REQUEST;
        if (len < 2) {
            issue(TOO_SHORT, at, type);
            return;
        }
        int ae = buf[v] & 0xFF;
        if (!knownAe(ae, at, type))
            return;
        int rc = prefix(ae, buf[v + 1] & 0xFF, 0, v + 2, len - 2, null);
        if (rc < 0) {
            issue(BAD_PREFIX, at, type);
            return;
        }
        Prefix prefix = parsedPrefix;
        if (!subTlvs(type, ae, v + 2 + rc, v + len, at))
            return;
        if (ae == AddressEncoding.WILDCARD) {
            if (parsedSource != null)
                issue(WILDCARD_WITH_SOURCE, at, type);
            else
                body.add(new Message.RouteRequest(null, null));
            return;
        }
        body.add(new Message.RouteRequest(prefix, parsedSource));
    }

    private void seqnoRequest(int v, int len, int at) {
        int type = TlvType.SEQNO_REQUEST;
        if (len < 14) {
            issue(TOO_SHORT, at, type);
            return;
        }
        int ae = buf[v] & 0xFF;
        if (!knownAe(ae, at, type))
            return;
        if (ae == AddressEncoding.WILDCARD) {
            // RFC 8966 4.6.11: a Seqno Request is about one prefix; babeld would look up ::/plen.
            issue(WILDCARD_NOT_ALLOWED, at, type);
            return;
        }
        int rc = prefix(ae, buf[v + 1] & 0xFF, 0, v + 14, len - 14, null);
        if (rc < 0) {
            issue(BAD_PREFIX, at, type);
            return;
        }
        Prefix prefix = parsedPrefix;
        if (!subTlvs(type, ae, v + 14 + rc, v + len, at))
            return;
        body.add(new Message.SeqnoRequest(prefix, parsedSource, u16(v + 2), buf[v + 4] & 0xFF, u64(v + 6)));
    }

    /** False (and counted) for an AE that makes the TLV ignored: unknown, or v4-via-v6. */
    private boolean knownAe(int ae, int at, int type) {
        if (!AddressEncoding.isKnown(ae)) {
            issue(UNKNOWN_AE, at, type);
            return false;
        }
        if (ae == AddressEncoding.V4_VIA_V6) {
            issue(V4_VIA_V6, at, type);
            return false;
        }
        return true;
    }

    /** A full address (IHU, Next Hop): {@link #prefix} with no prefix length. */
    private int address(int ae, int p, int avail) {
        return prefix(ae, -1, 0, p, avail, null);
    }

    /**
     * babeld's {@code network_prefix}: reads a possibly compressed prefix of AE {@code ae} from
     * {@code buf[p ..]} ({@code avail} bytes there), {@code plen} -1 meaning a full address. On
     * success sets {@link #parsedPrefix} (and {@link #scratch} to its 16 bytes) and returns the
     * number of bytes read; returns -1 when the prefix does not parse, and for an AE 2 prefix or
     * address inside ::ffff:0:0/96 (plen >= 96): with IPv4 held IPv4-mapped ({@link Prefix}) it
     * would be taken for an IPv4 one with an IPv6 next hop. babeld accepts it; we count it as
     * malformed (an IPv4 route must come as AE 1, or AE 4 which we ignore).
     */
    private int prefix(int ae, int plen, int omitted, int p, int avail, byte[] dflt) {
        int pb = plen >= 0 ? (plen + 7) / 8 : ae == AddressEncoding.IPV4 ? 4 : 16;
        if (pb > 16)
            return -1;
        byte[] s = scratch;
        Arrays.fill(s, (byte) 0);
        int rc;
        switch (ae) {
            case AddressEncoding.WILDCARD -> rc = 0;
            case AddressEncoding.IPV4 -> {
                if (omitted > 4 || pb > 4 || (pb > omitted && avail < pb - omitted))
                    return -1;
                s[10] = s[11] = (byte) 0xFF;
                if (omitted > 0)
                    System.arraycopy(dflt, 12, s, 12, omitted);
                if (pb > omitted)
                    System.arraycopy(buf, p, s, 12 + omitted, pb - omitted);
                rc = pb - omitted;
            }
            case AddressEncoding.IPV6 -> {
                if (omitted > 16 || (pb > omitted && avail < pb - omitted))
                    return -1;
                if (omitted > 0) {
                    if (isV4Mapped(dflt)) // babeld: an IPv6 prefix cannot borrow from an IPv4 one
                        return -1;
                    System.arraycopy(dflt, 0, s, 0, omitted);
                }
                if (pb > omitted)
                    System.arraycopy(buf, p, s, omitted, pb - omitted);
                rc = pb - omitted;
            }
            case AddressEncoding.IPV6_LINK_LOCAL -> {
                if (pb < 8 || avail < pb - 8) // babeld: a prefix shorter than /57 is an error
                    return -1;
                s[0] = (byte) 0xFE;
                s[1] = (byte) 0x80;
                System.arraycopy(buf, p, s, 8, pb - 8);
                rc = pb - 8;
            }
            default -> {
                return -1;
            }
        }
        if (rc < 0) // babeld: omitting more bytes than the prefix has is an error
            return -1;
        int bits = plen < 0 ? 128 : ae == AddressEncoding.IPV4 ? plen + 96 : plen;
        // Normalise in place: the scratch bytes may become a default prefix.
        for (int i = bits / 8; i < 16; i++)
            s[i] = i == bits / 8 ? (byte) (s[i] & (0xFF00 >>> (bits % 8))) : 0;
        Prefix result = new Prefix(Addr.of(s), bits);
        if (ae == AddressEncoding.IPV6 && result.isV4())
            return -1; // ::ffff:a.b.c.d/96+ in AE 2 would pass for IPv4 everywhere downstream
        parsedPrefix = result;
        return rc;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++)
            if (a[i] != 0)
                return false;
        return a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
    }

    /**
     * Walks the sub-TLVs of a TLV of type {@code tlvType} in {@code buf[p .. end)}. Sets
     * {@link #timestamp1}/{@link #timestamp2} (Hello, IHU) and {@link #parsedSource} (Update and
     * requests). Returns false, having counted the issue, when the TLV must be dropped: a sub-TLV
     * overruns the TLV, an unknown mandatory sub-TLV, a bad Source Prefix.
     */
    private boolean subTlvs(int tlvType, int ae, int p, int end, int at) {
        timestamp1 = timestamp2 = Message.NO_TIMESTAMP;
        parsedSource = null;
        boolean haveSource = false;
        boolean carriesSource = tlvType == TlvType.UPDATE || tlvType == TlvType.ROUTE_REQUEST
                || tlvType == TlvType.SEQNO_REQUEST;
        while (p < end) {
            int type = buf[p] & 0xFF;
            if (type == SubTlvType.PAD1) {
                p++;
                continue;
            }
            if (p + 2 > end || p + 2 + (buf[p + 1] & 0xFF) > end) {
                issue(TRUNCATED_SUB_TLV, p - origin, tlvType);
                return false;
            }
            int len = buf[p + 1] & 0xFF, v = p + 2;
            if (type == SubTlvType.PADN) {
                // nothing
            } else if (type == SubTlvType.TIMESTAMP && tlvType == TlvType.HELLO) {
                if (len >= 4)
                    timestamp1 = u32(v);
                else
                    issue(SHORT_TIMESTAMP, p - origin, tlvType);
            } else if (type == SubTlvType.TIMESTAMP && tlvType == TlvType.IHU) {
                if (len >= 8) {
                    timestamp1 = u32(v);
                    timestamp2 = u32(v + 4);
                } else {
                    issue(SHORT_TIMESTAMP, p - origin, tlvType);
                }
            } else if (type == SubTlvType.SOURCE_PREFIX && carriesSource) {
                // babeld: in a Seqno Request a default or repeated source prefix is accepted.
                boolean strict = tlvType != TlvType.SEQNO_REQUEST;
                int splen = len < 1 ? 0 : buf[v] & 0xFF;
                if (len < 1 || (strict && (splen == 0 || haveSource))
                        || prefix(ae, splen, 0, v + 1, len - 1, null) < 0) {
                    issue(BAD_SOURCE_PREFIX, at, tlvType);
                    return false;
                }
                haveSource = true;
                parsedSource = parsedPrefix.isDefault() && ae != AddressEncoding.WILDCARD ? null : parsedPrefix;
            } else if (SubTlvType.isMandatory(type)) {
                issue(UNKNOWN_MANDATORY_SUB_TLV, p - origin, tlvType);
                return false;
            }
            p = v + len;
        }
        return true;
    }

    private void issue(DecodeIssue.Reason reason, int offset, int tlvType) {
        if (issues.isEmpty())
            issues = new ArrayList<>(4);
        issues.add(new DecodeIssue(reason, offset, tlvType));
    }

    private int u16(int i) {
        return ((buf[i] & 0xFF) << 8) | (buf[i + 1] & 0xFF);
    }

    private long u32(int i) {
        return ((long) u16(i) << 16) | u16(i + 2);
    }

    private long u64(int i) {
        return (u32(i) << 32) | u32(i + 4);
    }
}
