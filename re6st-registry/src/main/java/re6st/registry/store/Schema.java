package re6st.registry.store;

import java.util.List;

/**
 * The original registry's four tables, with the exact DDL text it creates. The original compares
 * {@code sqlite_master.sql} with this text on start and refuses a table that differs, so a
 * database created here stays usable by the original too.
 */
final class Schema {
    record Table(String name, List<String> columns, String ddl) {
    }

    static final List<Table> TABLES = List.of(
            table("config", "name TEXT PRIMARY KEY NOT NULL", "value"),
            table("token", "token TEXT PRIMARY KEY NOT NULL", "email TEXT NOT NULL",
                    "prefix_len INTEGER NOT NULL", "date INTEGER NOT NULL"),
            table("cert", "prefix TEXT PRIMARY KEY NOT NULL", "email TEXT", "cert TEXT"),
            // date: the expiry of the revoked certificate.
            table("crl", "serial INTEGER PRIMARY KEY NOT NULL", "date INTEGER NOT NULL"));

    private Schema() {
    }

    /**
     * Creates the missing tables with the original's DDL and checks that existing ones have the
     * original's columns (a table from another program must not be written into); seeds an empty
     * {@code cert} table with the free root {@code ''}, as the original does.
     */
    static void ensure(Transaction tx) {
        for (Table t : TABLES) {
            List<String> columns = tx.columns(t.name());
            if (columns.isEmpty())
                tx.execute(t.ddl());
            else if (!columns.equals(t.columns()))
                throw new RegistryDbException(tx.where() + ": table " + t.name() + " has columns " + columns
                        + ", expected " + t.columns() + " (not a re6st registry database?)", null);
        }
        if (tx.certs().isEmpty())
            tx.insertFreeRow("");
    }

    /** The original's utils.sqliteCreateTable: {@code "CREATE TABLE %s (%s)" % (name, ','.join('\n  ' + x ...))}. */
    private static Table table(String name, String... definitions) {
        StringBuilder ddl = new StringBuilder("CREATE TABLE ").append(name).append(" (");
        String[] columns = new String[definitions.length];
        for (int i = 0; i < definitions.length; i++) {
            ddl.append(i == 0 ? "" : ",").append("\n  ").append(definitions[i]);
            columns[i] = definitions[i].split(" ", 2)[0];
        }
        return new Table(name, List.of(columns), ddl.append(')').toString());
    }
}
