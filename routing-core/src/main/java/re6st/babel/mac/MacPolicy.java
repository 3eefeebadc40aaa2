package re6st.babel.mac;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which keys an interface uses, as the registry rotates them: we sign every packet with each
 * {@code sign} key (one MAC TLV each) and accept a packet carrying a MAC from any sign or
 * {@code accept} key. A rotation is: add the new key as accept everywhere, then make it a sign
 * key, then move the old one to accept, then remove it. {@code acceptBadSignatures} (babeld's
 * {@code accept-bad-signatures}) lets unsigned or badly signed packets through, counted, for
 * incremental deployment. Immutable.
 */
public record MacPolicy(List<MacKey> sign, List<MacKey> accept, boolean acceptBadSignatures) {
    public MacPolicy {
        sign = List.copyOf(sign);
        accept = List.copyOf(accept);
        checkUniqueIds(sign, accept);
    }

    /** Sign and verify with these keys, reject bad signatures. */
    public static MacPolicy of(MacKey... sign) {
        return new MacPolicy(List.of(sign), List.of(), false);
    }

    public MacPolicy withAccept(MacKey... keys) {
        return new MacPolicy(sign, List.of(keys), acceptBadSignatures);
    }

    public MacPolicy withAcceptBadSignatures(boolean on) {
        return new MacPolicy(sign, accept, on);
    }

    /** Sign keys then accept keys, each once: the keys a received MAC is checked against. */
    public List<MacKey> verifyKeys() {
        List<MacKey> all = new ArrayList<>(sign);
        for (MacKey k : accept)
            if (!all.contains(k))
                all.add(k);
        return all;
    }

    /** Bytes the trailer takes: one MAC TLV (2 + digest) per sign key. */
    public int trailerLength() {
        int n = 0;
        for (MacKey k : sign)
            n += 2 + k.digestLength();
        return n;
    }

    /* The same id twice with two different secrets is a configuration error, not a rotation. */
    private static void checkUniqueIds(List<MacKey> sign, List<MacKey> accept) {
        Map<String, MacKey> byId = new LinkedHashMap<>();
        for (List<MacKey> list : List.of(sign, accept))
            for (MacKey k : list) {
                Objects.requireNonNull(k, "key");
                MacKey old = byId.putIfAbsent(k.id(), k);
                if (old != null && !old.equals(k))
                    throw new IllegalArgumentException("two different keys named " + k.id());
            }
    }
}
