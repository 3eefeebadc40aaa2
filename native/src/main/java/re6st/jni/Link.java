package re6st.jni;

/** A network interface as rtnetlink reports it. */
public record Link(int index, String name, int flags, int mtu) {
    static final int IFF_UP = 0x1, IFF_RUNNING = 0x40, IFF_LOWER_UP = 0x10000;

    /** Administratively up ({@code ip link set up}). */
    public boolean up() {
        return (flags & IFF_UP) != 0;
    }

    /** Carrier present (for a TUN: a process holds it open). */
    public boolean running() {
        return (flags & IFF_RUNNING) != 0;
    }
}
