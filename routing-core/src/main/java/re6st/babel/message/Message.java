package re6st.babel.message;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * What a Babel packet says, after decoding (RFC 8966 section 4.6): immutable values, with the
 * per-packet parser state (router-id, next hop, default prefixes) already applied to Updates.
 * The codec ({@code re6st.babel.wire}) turns packets into these and back; the protocol core only
 * ever sees these. Intervals are in centiseconds as on the wire; seqnos are 16-bit.
 */
public sealed interface Message {
    int INFINITY = 0xFFFF;
    /** Value of {@link Hello#timestamp} etc. when the sub-TLV is absent. */
    long NO_TIMESTAMP = -1;

    record AckRequest(int nonce, int interval) implements Message {}

    record Ack(int nonce) implements Message {}

    /**
     * @param timestamp RFC 9616 sub-TLV: sender's clock in microseconds mod 2^32, or {@link #NO_TIMESTAMP}
     */
    record Hello(boolean unicast, int seqno, int interval, long timestamp) implements Message {}

    /**
     * @param address the neighbour this IHU is about, null for AE 0 (any: "you")
     * @param origin  RFC 9616: timestamp of the last Hello we got from the addressee, or {@link #NO_TIMESTAMP}
     * @param receive RFC 9616: when we received that Hello (our clock), or {@link #NO_TIMESTAMP}
     */
    record Ihu(Addr address, int rxcost, int interval, long origin, long receive) implements Message {}

    /**
     * A route announcement or retraction, with the router-id and next hop that applied to it in
     * its packet (RFC 8966 4.6.9). {@code prefix == null} is a wildcard retraction (AE 0).
     *
     * @param source   source prefix (RFC 9079), null for none
     * @param nextHop  where to send traffic (the sender's address unless a Next Hop TLV said otherwise)
     */
    record Update(Prefix prefix, Prefix source, long routerId, Addr nextHop, int seqno, int metric, int interval)
            implements Message {
        public boolean isRetraction() {
            return metric == INFINITY;
        }

        public boolean isWildcard() {
            return prefix == null;
        }
    }

    /** {@code prefix == null}: a wildcard request (send me everything). */
    record RouteRequest(Prefix prefix, Prefix source) implements Message {}

    record SeqnoRequest(Prefix prefix, Prefix source, int seqno, int hopCount, long routerId) implements Message {}

    /** RFC 8967: one per trailer; {@code digest} is 32 (HMAC-SHA256) or 16 (BLAKE2s-128) bytes. */
    record Mac(byte[] digest) implements Message {
        public Mac {
            digest = digest.clone();
        }

        @Override
        public byte[] digest() {
            return digest.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Mac m && Arrays.equals(digest, m.digest);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(digest);
        }

        @Override
        public String toString() {
            return "Mac[" + HexFormat.of().formatHex(digest) + "]";
        }
    }

    /** RFC 8967 packet counter: {@code pc} is an unsigned 32-bit value, {@code index} opaque bytes. */
    record Pc(long pc, byte[] index) implements Message {
        public Pc {
            index = index.clone();
        }

        @Override
        public byte[] index() {
            return index.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Pc p && pc == p.pc && Arrays.equals(index, p.index);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(pc) * 31 + Arrays.hashCode(index);
        }

        @Override
        public String toString() {
            return "Pc[" + pc + ", " + HexFormat.of().formatHex(index) + "]";
        }
    }

    record ChallengeRequest(byte[] nonce) implements Message {
        public ChallengeRequest {
            nonce = nonce.clone();
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ChallengeRequest c && Arrays.equals(nonce, c.nonce);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(nonce);
        }
    }

    record ChallengeReply(byte[] nonce) implements Message {
        public ChallengeReply {
            nonce = nonce.clone();
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ChallengeReply c && Arrays.equals(nonce, c.nonce);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(nonce);
        }
    }
}
