package re6st.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

/**
 * The C side checks a batch's geometry in 64 bits: slot * count computed in jint could overflow
 * (undefined) and wrap to a size that fits a small buffer, and read() would then write past it.
 * PacketBatch keeps the public API consistent; these calls go to the natives directly.
 */
class TunGeometryTest {
    static Throwable call(String name, Class<?>[] types, Object... args) throws Exception {
        Method m = Tun.class.getDeclaredMethod(name, types);
        m.setAccessible(true);
        InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> m.invoke(null, args));
        return e.getCause();
    }

    @Test
    void aReadBatchWhoseSizeWrapsTo32BitsIsRefusedBeforeAnyRead() throws Exception {
        // 65536 * 65536 = 2^32: 0 in 32-bit arithmetic, which a 16-byte buffer "holds"
        Throwable t = call("readBatch0", new Class<?>[] {int.class, ByteBuffer.class, int.class, int.class, int[].class},
                -1, ByteBuffer.allocateDirect(16), 65536, 65536, new int[65536]);
        assertInstanceOf(IllegalArgumentException.class, t, "refused as geometry, not read from fd -1: " + t);
        assertEquals("bad batch geometry", t.getMessage());
    }

    @Test
    void aWriteBatchWhoseSizeWrapsTo32BitsIsRefused() throws Exception {
        Throwable t = call("writeBatch0", new Class<?>[] {int.class, ByteBuffer.class, int.class, int[].class, int.class, int.class},
                -1, ByteBuffer.allocateDirect(16), 65536, new int[65536], 0, 65536);
        assertInstanceOf(IllegalArgumentException.class, t, "refused as geometry: " + t);
    }
}
