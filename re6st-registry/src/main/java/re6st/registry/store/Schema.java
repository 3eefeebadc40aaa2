package re6st.registry.store;

import java.util.List;

import re6st.sqlite.OriginalTable;

/**
 * The original registry's four tables, with the exact DDL text it creates. The original compares
 * {@code sqlite_master.sql} with this text on start and refuses a table that differs, so a
 * database created here stays usable by the original too.
 */
final class Schema {
    static final List<OriginalTable> TABLES = List.of(
            OriginalTable.of("config", "name TEXT PRIMARY KEY NOT NULL", "value"),
            OriginalTable.of("token", "token TEXT PRIMARY KEY NOT NULL", "email TEXT NOT NULL",
                    "prefix_len INTEGER NOT NULL", "date INTEGER NOT NULL"),
            OriginalTable.of("cert", "prefix TEXT PRIMARY KEY NOT NULL", "email TEXT", "cert TEXT"),
            // date: the expiry of the revoked certificate.
            OriginalTable.of("crl", "serial INTEGER PRIMARY KEY NOT NULL", "date INTEGER NOT NULL"));

    private Schema() {
    }

    /**
     * Creates the missing tables with the original's DDL and checks that existing ones have the
     * original's columns (a table from another program must not be written into); seeds an empty
     * {@code cert} table with the free root {@code ''}, as the original does.
     */
    static void ensure(Transaction tx) {
        for (OriginalTable t : TABLES) {
            List<String> columns = tx.columns(t.name());
            if (columns.isEmpty())
                tx.execute(t.ddl());
            else if (!t.matches(columns))
                throw new RegistryDbException(tx.where() + ": table " + t.name() + " has columns " + columns
                        + ", expected " + t.columns() + " (not a re6st registry database?)", null);
        }
        if (tx.certs().isEmpty())
            tx.insertFreeRow("");
    }
}
