package re6st.babel.wire;

import java.util.Arrays;
import java.util.Objects;

/**
 * Encoder for the padding TLVs: Pad1 (one zero byte) and PadN (type 1, length n, n zero bytes).
 * Used to align or fill a packet; their content is ignored on receipt. Never put Pad1 in the
 * trailer: RFC 8967 receivers accept only MAC TLVs there.
 */
public final class Padding {
    /** Largest value of a PadN TLV; the whole TLV is then 257 bytes. */
    public static final int MAX_PADN_VALUE = 255;

    private Padding() {
    }

    /** Writes a Pad1 at {@code buf[offset]}; returns the offset after it. */
    public static int writePad1(byte[] buf, int offset) {
        Objects.checkIndex(offset, buf.length);
        buf[offset] = (byte) TlvType.PAD1;
        return offset + 1;
    }

    /** Writes a PadN carrying {@code n} zero bytes (2 + n bytes in all); returns the offset after it. */
    public static int writePadN(byte[] buf, int offset, int n) {
        if (n < 0 || n > MAX_PADN_VALUE)
            throw new IllegalArgumentException("PadN value length " + n + " outside 0.." + MAX_PADN_VALUE);
        Objects.checkFromIndexSize(offset, 2 + n, buf.length);
        buf[offset] = (byte) TlvType.PADN;
        buf[offset + 1] = (byte) n;
        Arrays.fill(buf, offset + 2, offset + 2 + n, (byte) 0);
        return offset + 2 + n;
    }

    /** Fills exactly {@code size} bytes (0..257) with one padding TLV; returns the offset after it. */
    public static int write(byte[] buf, int offset, int size) {
        if (size < 0 || size > 2 + MAX_PADN_VALUE)
            throw new IllegalArgumentException("padding size " + size + " outside 0.." + (2 + MAX_PADN_VALUE));
        if (size == 0)
            return offset;
        if (size == 1)
            return writePad1(buf, offset);
        return writePadN(buf, offset, size - 2);
    }
}
