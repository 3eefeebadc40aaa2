package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/** The library the build compiled loads, and its calls report errors as descriptive exceptions. */
class NativeLibraryTest {
    @Test
    void loadsForThisPlatform() {
        NativeLibrary.load();
        assertTrue(NativeLibrary.platform().startsWith("linux-"));
        assertEquals("No such device", Fd.strerror0(ErrnoException.ENODEV));
    }

    @Test
    void errorsNameTheCallAndErrno() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Fd.write0(-1, ByteBuffer.allocateDirect(4), 0, 4));
        assertEquals(ErrnoException.EBADF, e.errno());
        assertEquals("write: EBADF (Bad file descriptor)", e.getMessage());
    }

    @Test
    void heapBuffersAndBadRegionsAreRefused() {
        IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                () -> Fd.read0(0, ByteBuffer.allocate(4), 0, 4));
        assertTrue(heap.getMessage().contains("direct"));
        assertThrows(IllegalArgumentException.class, () -> Fd.read0(0, ByteBuffer.allocateDirect(4), 2, 4));
    }

    @Test
    void eventfdWakesAPoll() throws Exception {
        int efd = Fd.eventfd0();
        try {
            assertEquals(0, Fd.poll0(efd, 0, efd, 0) & Fd.WOKEN, "not signalled yet");
            Fd.signal0(efd);
            assertEquals(Fd.WOKEN, Fd.poll0(-1, 0, efd, 1_000_000_000L) & Fd.WOKEN);
        } finally {
            Fd.close0(efd);
        }
    }
}
