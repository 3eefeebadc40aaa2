package re6st.sqlite;

import java.util.List;

/**
 * A table as the original re6st creates it (its {@code utils.sqliteCreateTable}): the DDL text
 * {@code CREATE TABLE name (\n  col def,\n  ...)}, character for character. The original compares
 * {@code sqlite_master.sql} with this text, so a file created here stays usable by the original,
 * and an existing file of the original opens here as is.
 */
public record OriginalTable(String name, List<String> columns, String ddl) {
    public OriginalTable {
        columns = List.copyOf(columns);
    }

    /** {@code of("peer", "prefix TEXT PRIMARY KEY NOT NULL", "address TEXT NOT NULL")}. */
    public static OriginalTable of(String name, String... definitions) {
        StringBuilder ddl = new StringBuilder("CREATE TABLE ").append(name).append(" (");
        String[] columns = new String[definitions.length];
        for (int i = 0; i < definitions.length; i++) {
            ddl.append(i == 0 ? "" : ",").append("\n  ").append(definitions[i]);
            columns[i] = definitions[i].split(" ", 2)[0];
        }
        return new OriginalTable(name, List.of(columns), ddl.append(')').toString());
    }

    /** Whether an existing table with {@code found} columns (empty: no table) is this one. */
    public boolean matches(List<String> found) {
        return found.equals(columns);
    }
}
