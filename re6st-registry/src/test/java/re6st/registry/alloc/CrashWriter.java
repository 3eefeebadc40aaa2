package re6st.registry.alloc;

import java.nio.file.Path;
import re6st.registry.store.RegistryDb;

/**
 * Child process of {@link CrashConsistencyTest}: allocates /16 prefixes one transaction at a time
 * and prints each one after its commit returned, until it is killed (or 10,000 allocations).
 */
public final class CrashWriter {
    private CrashWriter() {
    }

    public static void main(String[] args) {
        PrefixAllocator allocator = new PrefixAllocator(80);
        try (RegistryDb db = RegistryDb.open(Path.of(args[0]))) {
            System.out.println("open");
            System.out.flush();
            for (int i = 0; i < 10_000; i++) {
                String p = db.transaction(tx -> {
                    tx.nextCertificateSerial();
                    return allocator.allocate(tx, 16, "", null, node -> "PEM " + node.bits()).bits();
                });
                System.out.println("committed " + p);
                System.out.flush();
            }
        }
    }
}
