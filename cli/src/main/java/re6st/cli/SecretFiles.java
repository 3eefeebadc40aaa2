package re6st.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;

/** Files holding private keys must be readable by their owner only (mode 0600, or 0400). */
public final class SecretFiles {
    private SecretFiles() {}

    /**
     * A warning when {@code key} can be read or written by its group or by other users, naming the
     * fix; empty when it cannot, or when the file system has no POSIX modes (the read that follows
     * reports a missing file).
     */
    public static Optional<String> exposure(Path key) {
        Set<PosixFilePermission> p;
        try {
            p = Files.getPosixFilePermissions(key);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
        boolean open = p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.GROUP_WRITE)
                || p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.OTHERS_WRITE);
        if (!open)
            return Optional.empty();
        return Optional.of("warning: the private key " + key + " can be read by other users (mode "
                + java.nio.file.attribute.PosixFilePermissions.toString(p) + "): chmod 600 " + key);
    }
}
