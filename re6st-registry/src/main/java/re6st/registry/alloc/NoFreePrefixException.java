package re6st.registry.alloc;

/** The tree has no free prefix of the wanted length in the community: the network is full there. */
public final class NoFreePrefixException extends IllegalStateException {
    public NoFreePrefixException(int length, String community) {
        super("no free /" + length + " node prefix left" + (community.isEmpty() ? "" : " in community " + community));
    }
}
