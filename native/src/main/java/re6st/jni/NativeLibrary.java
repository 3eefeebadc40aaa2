package re6st.jni;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Loads libre6stjni.so, which the build compiles with the machine's gcc and packs into this
 * module's jar under {@code re6st/jni/linux-<arch>/}. It is copied to a private temporary
 * file first because the JVM can only load a library from the file system.
 */
public final class NativeLibrary {
    static final String LIBRARY = "libre6stjni.so";
    private static volatile boolean loaded;

    private NativeLibrary() {}

    /** The platform directory name the build uses for this JVM, e.g. {@code linux-amd64}. */
    public static String platform() {
        return System.getProperty("os.name").toLowerCase(Locale.ROOT).replace(' ', '-')
                + "-" + System.getProperty("os.arch");
    }

    /** Loads the library once; throws UnsatisfiedLinkError with what to do about it. */
    public static synchronized void load() {
        if (loaded)
            return;
        String platform = platform();
        if (!platform.startsWith("linux-"))
            throw new UnsatisfiedLinkError("re6st needs Linux (TUN devices, rtnetlink); this JVM runs on "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        String resource = "/re6st/jni/" + platform + "/" + LIBRARY;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null)
                throw new UnsatisfiedLinkError("no native library for " + platform + " in the re6st-native jar ("
                        + resource + "): it is compiled on the build machine, so rebuild on a " + platform
                        + " machine with gcc (mvn -pl native package)");
            Path dir = Files.createTempDirectory("re6st-jni",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path file = dir.resolve(LIBRARY);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
            // Once mapped, the file is no longer needed; deleting it now leaves nothing behind
            // even when the JVM is killed.
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + resource, e);
        }
        loaded = true;
    }
}
