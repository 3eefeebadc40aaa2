package re6st.slap.master;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleSupplier;

import re6st.slap.master.MasterModel.Address;
import re6st.slap.master.MasterModel.Computer;
import re6st.slap.master.MasterModel.ComputerConfig;
import re6st.slap.master.MasterModel.InstanceRequest;
import re6st.slap.master.MasterModel.Partition;
import re6st.slap.master.MasterModel.PartitionConfig;
import re6st.slap.master.MasterModel.Placed;
import re6st.slap.master.MasterModel.Slave;
import re6st.slap.master.MasterModel.Software;
import re6st.slap.xml.InstanceXml;
import re6st.slap.xml.PythonOrder;
import re6st.slap.xml.XmlMarshaller;
import re6st.slap.xml.XmlMarshallerException;
import re6st.slap.xml.XmlUnmarshaller;
import re6st.slap.xml.XmlValue;
import re6st.sqlite.DurableSqlite;

/**
 * The SlapOS master's state and semantics (slap-protocol.md, "Master semantics"; slapproxy's
 * views.py), without HTTP: each public method is one endpoint and one SQLite transaction (WAL,
 * {@code synchronous=FULL}: what a method returned is on disk; a crash leaves the last committed
 * state). Calls are serialised (one writer, as SQLite has).
 *
 * <p>Store: slapproxy's version-17 tables ({@code software17}, {@code computer17},
 * {@code partition17}, {@code slave17}, {@code partition_network17}) with the same columns, plus
 * {@code reported_state}, {@code error_log}, {@code reported_at} on software and partition rows
 * (slapproxy drops the nodes' reports; we keep and show them). Parameters and connection
 * parameters are stored as instance XML, {@code slave_instance_list} as xml_marshaller, as
 * slapproxy does.
 *
 * <p>Where slapproxy is silent or loose, this master decides (and says so in its errors):
 * an instance's identity is (title, root title) so that trees are flat and scoped by root;
 * requesting {@code destroyed} of a root destroys its whole tree, and the root's partition is
 * freed only once every child's is; a connection change of a child bumps its root's timestamp
 * only when it really changed; a host's timestamp changes when its shared instances do; a node
 * reporting a partition destroyed that the master did not ask to destroy is refused (409).
 */
public final class SlapMaster implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("re6st.slap.master");
    /** slapproxy's schema version, the suffix of every table name. */
    public static final String DB_VERSION = "17";
    public static final Set<String> INSTANCE_STATES = Set.of("started", "stopped", "destroyed");
    public static final Set<String> SOFTWARE_STATES = Set.of("available", "destroyed");
    public static final Set<String> SOFTWARE_REPORTS = Set.of("building", "available", "error");
    public static final Set<String> PARTITION_REPORTS = Set.of("started", "stopped", "error");
    /** A partition reference: it becomes a directory name on its node. */
    static final java.util.regex.Pattern SAFE_REFERENCE = java.util.regex.Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}");
    /** Longest title, URL or reference stored (slapproxy's VARCHAR(255) is not enforced by SQLite; we do). */
    public static final int MAX_NAME = 1024;

    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS software17 (
              url VARCHAR(255),
              computer_reference VARCHAR(255) DEFAULT 'computer',
              requested_state VARCHAR(255) DEFAULT 'available',
              reported_state VARCHAR(255),
              error_log TEXT,
              reported_at REAL,
              CONSTRAINT uniq PRIMARY KEY (url, computer_reference));
            CREATE TABLE IF NOT EXISTS computer17 (
              reference VARCHAR(255) DEFAULT 'computer',
              address VARCHAR(255),
              netmask VARCHAR(255),
              CONSTRAINT uniq PRIMARY KEY (reference));
            CREATE TABLE IF NOT EXISTS partition17 (
              reference VARCHAR(255),
              computer_reference VARCHAR(255) DEFAULT 'computer',
              slap_state VARCHAR(255) DEFAULT 'free',
              software_release VARCHAR(255),
              xml TEXT,
              connection_xml TEXT,
              slave_instance_list TEXT,
              software_type VARCHAR(255),
              partition_reference VARCHAR(255),
              requested_by VARCHAR(255),
              requested_state VARCHAR(255) NOT NULL DEFAULT 'started',
              timestamp REAL,
              reported_state VARCHAR(255),
              error_log TEXT,
              reported_at REAL,
              CONSTRAINT uniq PRIMARY KEY (reference, computer_reference));
            CREATE INDEX IF NOT EXISTS partition17_title ON partition17 (partition_reference, requested_by);
            CREATE TABLE IF NOT EXISTS slave17 (
              reference VARCHAR(255),
              computer_reference VARCHAR(255) DEFAULT 'computer',
              connection_xml TEXT,
              hosted_by VARCHAR(255),
              asked_by VARCHAR(255),
              CONSTRAINT uniq PRIMARY KEY (reference, computer_reference));
            CREATE TABLE IF NOT EXISTS partition_network17 (
              partition_reference VARCHAR(255),
              computer_reference VARCHAR(255) DEFAULT 'computer',
              reference VARCHAR(255),
              address VARCHAR(255),
              netmask VARCHAR(255));
            CREATE INDEX IF NOT EXISTS partition_network17_partition ON partition_network17 (partition_reference, computer_reference);
            CREATE INDEX IF NOT EXISTS partition17_state ON partition17 (slap_state, computer_reference);
            """;

    private final Connection db;
    private final DurableSqlite.Lock lock;
    private final DoubleSupplier clock;

    private SlapMaster(Connection db, DurableSqlite.Lock lock, DoubleSupplier clock) {
        this.db = db;
        this.lock = lock;
        this.clock = clock;
    }

    /** Wall-clock seconds, as slapproxy's {@code time.time()}. */
    public static DoubleSupplier systemClock() {
        return () -> System.currentTimeMillis() / 1000.0;
    }

    /**
     * Opens (creating, mode 0600) the master's database; one master per file.
     *
     * @throws IOException  the file is held by another master, or cannot be created
     * @throws SQLException SQLite refused it (not a database, no WAL on this file system...)
     */
    public static SlapMaster open(Path file, DoubleSupplier clock) throws IOException, SQLException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
            java.nio.file.Files.createDirectories(parent);
        DurableSqlite.Lock lock = DurableSqlite.lock(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                .orElseThrow(() -> new IOException(file + " is in use by another master (its .lock is held)"));
        Connection c = null;
        try {
            if (!java.nio.file.Files.exists(file))
                java.nio.file.Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            c = DurableSqlite.connect(file, 5_000, false);
            DurableSqlite.useWal(c);
            try (var st = c.createStatement()) {
                for (String sql : SCHEMA.split(";"))
                    if (!sql.isBlank())
                        st.execute(sql);
            }
            return new SlapMaster(c, lock, clock);
        } catch (IOException | SQLException | RuntimeException e) {
            if (c != null)
                DurableSqlite.closeAll(List.of(c));
            lock.close();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        DurableSqlite.closeAll(List.of(db, lock));
    }

    // ---- transactions --------------------------------------------------------------------------

    private interface Body<T> {
        T run() throws SQLException, SlapException;
    }

    /** A failure of the database itself (disk full, corrupt file): the HTTP layer answers 500. */
    public static final class StoreException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private synchronized <T> T tx(String what, Body<T> body) throws SlapException {
        try {
            DurableSqlite.begin(db);
        } catch (SQLException e) {
            throw new StoreException(what + ": the database refused a transaction: " + e.getMessage(), e);
        }
        try {
            T out = body.run();
            DurableSqlite.commit(db);
            return out;
        } catch (SlapException | RuntimeException e) {
            DurableSqlite.rollback(db, e);
            throw e;
        } catch (SQLException e) {
            DurableSqlite.rollback(db, e);
            throw new StoreException(what + ": " + e.getMessage(), e);
        }
    }

    // ---- reads ---------------------------------------------------------------------------------

    /** {@code getFullComputerInformation}: the computer, its software releases, its partitions. */
    public record ComputerView(Computer computer, List<Software> software, List<Partition> partitions) {
    }

    public ComputerView computerInformation(String computerId) throws SlapException {
        required("computer_id", computerId);
        return tx("getFullComputerInformation", () -> {
            Computer c = computer(computerId);
            if (c == null)
                throw SlapException.notFound("computer " + computerId + " is not registered (its node has not run format)");
            return new ComputerView(c, software(computerId), partitions("computer_reference=?", computerId));
        });
    }

    /** {@code registerComputerPartition}. */
    public Partition partition(String computerId, String partitionId) throws SlapException {
        required("computer_reference", computerId);
        required("computer_partition_reference", partitionId);
        return tx("registerComputerPartition", () -> existing(computerId, partitionId));
    }

    /** Every computer, in registration order. */
    public List<Computer> computers() throws SlapException {
        return tx("computers", this::computersNoTx);
    }

    /** Every instance (busy partition), by computer then partition order. */
    public List<Partition> instances() throws SlapException {
        return tx("instances", () -> partitions("slap_state='busy'"));
    }

    /** The instance named {@code title} among the roots, or any instance of that title if no root has it. */
    public Partition instance(String title) throws SlapException {
        required("title", title);
        return tx("instance", () -> {
            Partition p = byTitle(title, null);
            if (p == null) {
                List<Partition> any = partitions("slap_state='busy' AND partition_reference=?", title);
                p = any.isEmpty() ? null : any.get(0);
            }
            if (p == null)
                throw SlapException.notFound("no instance named " + title);
            return p;
        });
    }

    public List<Software> software(String computerId) throws SQLException {
        List<Software> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT url, computer_reference, requested_state, reported_state, error_log, reported_at FROM software17 WHERE computer_reference=? ORDER BY rowid")) {
            ps.setString(1, computerId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next())
                    out.add(new Software(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            real(rs, 6)));
            }
        }
        return out;
    }

    /** The software releases of one computer, or of all ({@code computerId} null). */
    public List<Software> softwareList(String computerId) throws SlapException {
        return tx("software", () -> {
            if (computerId != null)
                return software(computerId);
            List<Software> out = new ArrayList<>();
            for (Computer c : computersNoTx())
                out.addAll(software(c.reference()));
            return out;
        });
    }

    private List<Computer> computersNoTx() throws SQLException {
        List<Computer> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT reference, address, netmask FROM computer17 ORDER BY rowid");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next())
                out.add(new Computer(rs.getString(1), rs.getString(2), rs.getString(3)));
        }
        return out;
    }

    // ---- format ---------------------------------------------------------------------------------

    /**
     * {@code loadComputerConfigurationFromXML}: registers or refreshes the computer, adds the
     * partitions it does not know (existing ones keep their instance), replaces their addresses.
     */
    public void loadComputer(ComputerConfig config) throws SlapException {
        required("reference", config.reference());
        for (PartitionConfig p : config.partitions()) {
            required("partition reference", p.reference());
            if (!SAFE_REFERENCE.matcher(p.reference()).matches())
                throw SlapException.badRequest("partition reference " + p.reference() + ": letters, digits, '_', '-' and '.' only, "
                        + "not starting with '.' (it names a directory on the node)");
            for (Address a : p.addresses())
                if (a.address() == null || a.address().isEmpty())
                    throw SlapException.badRequest("partition " + p.reference() + ": an address without addr");
        }
        tx("loadComputerConfigurationFromXML", () -> {
            update("INSERT INTO computer17 (reference, address, netmask) VALUES (?, ?, ?) "
                    + "ON CONFLICT(reference) DO UPDATE SET address=excluded.address, netmask=excluded.netmask",
                    config.reference(), config.address(), config.netmask());
            for (PartitionConfig p : config.partitions()) {
                update("INSERT OR IGNORE INTO partition17 (reference, computer_reference) VALUES (?, ?)", p.reference(), config.reference());
                update("DELETE FROM partition_network17 WHERE partition_reference=? AND computer_reference=?", p.reference(), config.reference());
                for (Address a : p.addresses())
                    update("INSERT INTO partition_network17 (partition_reference, computer_reference, reference, address, netmask) VALUES (?, ?, ?, ?, ?)",
                            p.reference(), config.reference(), p.tap() != null ? p.tap() : a.ifname(), a.address(), a.netmask());
            }
            return null;
        });
        LOG.log(Level.INFO, "computer {0} registered at {1} with {2} partitions", config.reference(), config.address(), config.partitions().size());
    }

    // ---- software -------------------------------------------------------------------------------

    /** {@code supplySupply}: the computer is to install ({@code available}) or remove ({@code destroyed}) the release. */
    public String supply(String url, String computerId, String state) throws SlapException {
        required("url", url);
        required("computer_id", computerId);
        if (!SOFTWARE_STATES.contains(state))
            throw SlapException.badRequest("state " + state + ": a software release is supplied available or destroyed");
        tx("supplySupply", () -> update("INSERT INTO software17 (url, computer_reference, requested_state) VALUES (?, ?, ?) "
                + "ON CONFLICT(url, computer_reference) DO UPDATE SET requested_state=excluded.requested_state", url, computerId, state));
        LOG.log(Level.INFO, "software {0} on {1}: {2}", url, computerId, state);
        return "Supplied " + PythonOrder.reprAll(new XmlValue.Str(url)) + " to be " + state;
    }

    /** {@code buildingSoftwareRelease}, {@code availableSoftwareRelease}, {@code softwareReleaseError}: stored. */
    public void softwareReport(String url, String computerId, String state, String errorLog) throws SlapException {
        required("url", url);
        required("computer_id", computerId);
        if (!SOFTWARE_REPORTS.contains(state))
            throw SlapException.badRequest("software report " + state);
        tx("software report", () -> {
            int n = update("UPDATE software17 SET reported_state=?, error_log=?, reported_at=? WHERE url=? AND computer_reference=?",
                    state, "error".equals(state) ? errorLog : null, now(), url, computerId);
            if (n == 0)
                throw SlapException.notFound("software " + url + " is not supplied to " + computerId);
            return null;
        });
        LOG.log("error".equals(state) ? Level.WARNING : Level.INFO, "software {0} on {1}: {2}{3}", url, computerId, state,
                "error".equals(state) && errorLog != null ? ": " + lastLine(errorLog) : "");
    }

    /** {@code destroyedSoftwareRelease}: the node removed it; the row goes. */
    public void destroyedSoftware(String url, String computerId) throws SlapException {
        required("url", url);
        required("computer_id", computerId);
        tx("destroyedSoftwareRelease", () -> {
            String requested = string("SELECT requested_state FROM software17 WHERE url=? AND computer_reference=?", url, computerId);
            if (requested == null)
                return null; // already gone
            if (!"destroyed".equals(requested))
                throw SlapException.conflict("software " + url + " on " + computerId + " is supplied " + requested + ", not destroyed");
            update("DELETE FROM software17 WHERE url=? AND computer_reference=?", url, computerId);
            return null;
        });
    }

    // ---- instances ------------------------------------------------------------------------------

    /** {@code requestComputerPartition}. */
    public Placed request(InstanceRequest r) throws SlapException {
        required("software_release", r.softwareRelease());
        required("partition_reference", r.title());
        String state = r.state() == null || r.state().isEmpty() ? "started" : r.state();
        if (!INSTANCE_STATES.contains(state))
            throw SlapException.badRequest("state " + state + ": an instance is requested started, stopped or destroyed");
        Placed p = tx("requestComputerPartition", () -> r.shared() ? requestShared(r, state) : requestInstance(r, state));
        return p;
    }

    private Placed requestInstance(InstanceRequest r, String asked) throws SQLException, SlapException {
        String root = requesterRoot(r);
        String type = r.softwareType() == null || r.softwareType().isEmpty() ? "default" : r.softwareType();
        Map<String, String> params = new LinkedHashMap<>();
        r.parameters().forEach((k, v) -> params.put(k, PythonOrder.str(v)));
        String xml = instanceXml(params);
        Partition p = byTitle(r.title(), root);
        String state = asked;
        boolean fresh = p == null;
        if (fresh) {
            if ("destroyed".equals(asked))
                throw SlapException.notFound("no instance " + describe(r.title(), root) + " to destroy");
            if (root != null) {
                Partition rootP = byTitle(root, null);
                if (rootP != null && "destroyed".equals(rootP.requestedState()))
                    throw SlapException.conflict("instance " + root + " is being destroyed: no new instance in its tree");
            }
            String computer = r.filter().get("computer_guid");
            p = firstFree(computer);
            if (p == null) {
                if (computer != null && computer(computer) == null)
                    throw SlapException.notFound("no computer " + computer + " (computer_guid): its node has not run format");
                if (count("SELECT count(*) FROM partition17") == 0)
                    throw SlapException.notFound("no partition at all: no node has registered with this master yet (slapos node format)");
                throw SlapException.notFound("no free partition" + (computer != null ? " on computer " + computer : "")
                        + " for " + describe(r.title(), root));
            }
        } else if (root != null) {
            Partition rootP = byTitle(root, null);
            if (rootP != null && !"started".equals(rootP.requestedState()) && !"destroyed".equals(asked))
                state = rootP.requestedState(); // a child takes its root's state when the root is not started (a destroy stands)
        }
        boolean changed = fresh || !r.softwareRelease().equals(p.softwareRelease()) || !type.equals(p.softwareType())
                || !state.equals(p.requestedState()) || !xml.equals(instanceXml(p.parameters())) || p.timestamp() == null;
        if (changed) {
            double ts = nextTimestamp(p.timestamp());
            update("UPDATE partition17 SET slap_state='busy', software_release=?, software_type=?, xml=?, requested_state=?, "
                            + "partition_reference=?, requested_by=?, timestamp=? WHERE reference=? AND computer_reference=?",
                    r.softwareRelease(), type, xml, state, r.title(), root, ts, p.reference(), p.computer());
            LOG.log(Level.INFO, "instance {0} {1} {2} on {3} {4} ({5}, {6})", describe(r.title(), root), fresh ? "placed" : "changed",
                    state, p.computer(), p.reference(), r.softwareRelease(), type);
            if ("destroyed".equals(state) && root == null)
                destroyChildren(r.title(), ts);
            p = existing(p.computer(), p.reference());
        }
        return new Placed(p, state, null, null);
    }

    private void destroyChildren(String rootTitle, double ts) throws SQLException {
        int n = update("UPDATE partition17 SET requested_state='destroyed', timestamp=? WHERE slap_state='busy' AND requested_by=? "
                + "AND requested_state!='destroyed'", ts, rootTitle);
        if (n > 0)
            LOG.log(Level.INFO, "instance {0} destroyed: its {1} children too", rootTitle, n);
    }

    private Placed requestShared(InstanceRequest r, String state) throws SQLException, SlapException {
        String root = requesterRoot(r);
        // slapproxy: <requesting partition>_<title>; with the requester's computer too, as partitions of two computers share names
        String reference = (r.requesterPartition() == null || r.requesterPartition().isEmpty() ? ""
                : r.requesterComputer() + "-" + r.requesterPartition()) + "_" + r.title();
        String computer = r.filter().get("computer_guid");
        Slave existing = slaveByReference(reference);
        Partition host = null;
        if (existing != null) {
            Partition h = find(existing.computer(), existing.hostedBy());
            if (h != null && h.busy() && r.softwareRelease().equals(h.softwareRelease()) && !"destroyed".equals(h.requestedState()))
                host = h; // once placed, a shared instance stays on its host
        }
        if (host == null)
            host = sharedHost(r, computer);
        if (existing != null && host != null && !(host.computer().equals(existing.computer()) && host.reference().equals(existing.hostedBy()))) {
            // its host is gone or changed release: the entry leaves the old host, the row follows the new one
            Partition old = find(existing.computer(), existing.hostedBy());
            if (old != null)
                withoutSlave(old, reference);
            update("UPDATE slave17 SET computer_reference=?, hosted_by=?, connection_xml=NULL WHERE reference=? AND computer_reference=?",
                    host.computer(), host.reference(), existing.reference(), existing.computer());
            existing = slaveByReference(reference);
        }
        if (host == null) {
            if ("destroyed".equals(state) && existing != null) {
                update("DELETE FROM slave17 WHERE reference=? AND computer_reference=?", existing.reference(), existing.computer());
                return new Placed(find(existing.computer(), existing.hostedBy()), state, existing, Map.of());
            }
            throw SlapException.notFound("no instance of " + r.softwareRelease()
                    + (r.softwareType() != null && !r.softwareType().isEmpty() ? " (type " + r.softwareType() + ")" : "")
                    + (computer != null ? " on computer " + computer : "") + " to host the shared instance " + describe(r.title(), root));
        }
        Map<XmlValue, XmlValue> entry = new LinkedHashMap<>();
        entry.put(new XmlValue.Str("slave_title"), new XmlValue.Str(reference));
        entry.put(new XmlValue.Str("slap_software_type"), r.softwareType() == null ? XmlValue.None.NONE : new XmlValue.Str(r.softwareType()));
        entry.put(new XmlValue.Str("slave_reference"), new XmlValue.Str(reference));
        r.parameters().forEach((k, v) -> entry.put(new XmlValue.Str(k), v));
        XmlValue.Dict newEntry = new XmlValue.Dict(entry);
        List<XmlValue> list = new ArrayList<>(host.slaveInstances());
        int at = -1;
        for (int i = 0; i < list.size(); i++)
            if (list.get(i) instanceof XmlValue.Dict d && new XmlValue.Str(reference).equals(d.entries().get(new XmlValue.Str("slave_reference"))))
                at = i;
        boolean destroy = "destroyed".equals(state);
        if (destroy) {
            if (at >= 0)
                list.remove(at);
        } else if (at >= 0)
            list.set(at, newEntry);
        else
            list.add(newEntry);
        if (!list.equals(host.slaveInstances())) {
            update("UPDATE partition17 SET slave_instance_list=?, timestamp=? WHERE reference=? AND computer_reference=?",
                    marshal(list), nextTimestamp(host.timestamp()), host.reference(), host.computer());
            LOG.log(Level.INFO, "shared instance {0} {1} on {2} {3}", reference, destroy ? "removed" : at >= 0 ? "changed" : "added",
                    host.computer(), host.reference());
        }
        Slave s = slaveByReference(reference);
        if (destroy) {
            if (s != null)
                update("DELETE FROM slave17 WHERE reference=? AND computer_reference=?", s.reference(), s.computer());
        } else if (s == null) {
            update("INSERT INTO slave17 (reference, computer_reference, asked_by, hosted_by) VALUES (?, ?, ?, ?)", reference,
                    host.computer(), r.requesterPartition(), host.reference());
            s = slaveByReference(reference);
        }
        Map<String, String> asked = new LinkedHashMap<>();
        r.parameters().forEach((k, v) -> asked.put(k, PythonOrder.str(v)));
        Slave shown = s != null ? s : new Slave(reference, host.computer(), host.reference(), r.requesterPartition(), Map.of());
        return new Placed(existing(host.computer(), host.reference()), destroy ? "destroyed" : "started", shown, asked);
    }

    /** Removes a shared instance's entry from {@code host}'s list (a new timestamp if it was there). */
    private void withoutSlave(Partition host, String reference) throws SQLException {
        List<XmlValue> list = new ArrayList<>(host.slaveInstances());
        if (list.removeIf(x -> x instanceof XmlValue.Dict d && new XmlValue.Str(reference).equals(d.entries().get(new XmlValue.Str("slave_reference")))))
            update("UPDATE partition17 SET slave_instance_list=?, timestamp=? WHERE reference=? AND computer_reference=?", marshal(list),
                    nextTimestamp(host.timestamp()), host.reference(), host.computer());
    }

    private Partition sharedHost(InstanceRequest r, String computer) throws SQLException {
        StringBuilder where = new StringBuilder("slap_state='busy' AND requested_state!='destroyed' AND software_release=?");
        List<Object> args = new ArrayList<>(List.of(r.softwareRelease()));
        if (computer != null) {
            where.append(" AND computer_reference=?");
            args.add(computer);
        }
        if (r.softwareType() != null && !r.softwareType().isEmpty()) {
            where.append(" AND software_type=?");
            args.add(r.softwareType());
        }
        String guid = r.filter().get("instance_guid");
        if (guid != null) {
            where.append(" AND computer_reference || '-' || reference=?");
            args.add(guid);
        }
        List<Partition> hosts = limited(where.toString(), 1, args.toArray());
        return hosts.isEmpty() ? null : hosts.get(0);
    }

    /** The root title that scopes a request made from a partition; null for a root request. */
    private String requesterRoot(InstanceRequest r) throws SQLException, SlapException {
        if (r.requesterPartition() == null || r.requesterPartition().isEmpty())
            return null;
        Partition requester = find(r.requesterComputer(), r.requesterPartition());
        if (requester == null || !requester.busy())
            throw SlapException.notFound("the requesting partition " + r.requesterPartition() + " on " + r.requesterComputer()
                    + " holds no instance");
        return requester.rootTitle();
    }

    /**
     * {@code setComputerPartitionConnectionXml}: the node publishes an instance's connection
     * parameters (or, with {@code slaveReference}, a shared instance's, from its host). A child's
     * root gets a new timestamp when the child's parameters really changed, so that it redeploys
     * and reads them.
     */
    public void setConnection(String computerId, String partitionId, Map<String, String> connection, String slaveReference)
            throws SlapException {
        required("computer_id", computerId);
        required("computer_partition_id", partitionId);
        String xml = instanceXml(connection);
        tx("setComputerPartitionConnectionXml", () -> {
            Partition p = existing(computerId, partitionId);
            if (!p.busy())
                throw SlapException.conflict("partition " + partitionId + " on " + computerId + " is free: no instance to publish for");
            if (slaveReference != null && !slaveReference.isEmpty() && !"None".equals(slaveReference)) {
                Slave s = slaveByReference(slaveReference);
                if (s == null)
                    throw SlapException.notFound("no shared instance " + slaveReference);
                if (!s.computer().equals(computerId) || !s.hostedBy().equals(partitionId))
                    throw SlapException.conflict("shared instance " + slaveReference + " is hosted by " + s.computer() + " " + s.hostedBy()
                            + ", not by " + computerId + " " + partitionId);
                update("UPDATE slave17 SET connection_xml=? WHERE reference=? AND computer_reference=?", xml, s.reference(), s.computer());
                return null;
            }
            if (xml.equals(instanceXml(p.connection())))
                return null;
            update("UPDATE partition17 SET connection_xml=? WHERE reference=? AND computer_reference=?", xml, partitionId, computerId);
            LOG.log(Level.INFO, "instance {0} on {1} {2} published {3}", p.title(), computerId, partitionId, connection.keySet());
            if (p.requestedBy() != null) {
                Partition root = byTitle(p.requestedBy(), null);
                if (root != null)
                    update("UPDATE partition17 SET timestamp=? WHERE reference=? AND computer_reference=?", nextTimestamp(root.timestamp()),
                            root.reference(), root.computer());
            }
            return null;
        });
    }

    /** {@code startedComputerPartition}, {@code stoppedComputerPartition}, {@code softwareInstanceError}: stored. */
    public void partitionReport(String computerId, String partitionId, String state, String errorLog) throws SlapException {
        required("computer_id", computerId);
        required("computer_partition_id", partitionId);
        if (!PARTITION_REPORTS.contains(state))
            throw SlapException.badRequest("partition report " + state);
        tx("partition report", () -> {
            existing(computerId, partitionId);
            update("UPDATE partition17 SET reported_state=?, error_log=?, reported_at=? WHERE reference=? AND computer_reference=?", state,
                    "error".equals(state) ? errorLog : null, now(), partitionId, computerId);
            return null;
        });
        LOG.log("error".equals(state) ? Level.WARNING : Level.DEBUG, "partition {0} on {1}: {2}{3}", partitionId, computerId, state,
                "error".equals(state) && errorLog != null ? ": " + lastLine(errorLog) : "");
    }

    /**
     * {@code destroyedComputerPartition}: the node cleaned the partition up; it is freed, unless
     * it holds a root whose children are not all freed yet (it is freed with the last of them).
     * Returns what happened, for the log and the response.
     */
    public String destroyed(String computerId, String partitionId) throws SlapException {
        required("computer_id", computerId);
        required("computer_partition_id", partitionId);
        return tx("destroyedComputerPartition", () -> {
            Partition p = existing(computerId, partitionId);
            if (!p.busy())
                return "already free";
            if (!"destroyed".equals(p.requestedState()))
                throw SlapException.conflict("partition " + partitionId + " on " + computerId + " holds " + p.title() + ", requested "
                        + p.requestedState() + ", not destroyed");
            if (p.requestedBy() == null) {
                int children = count("SELECT count(*) FROM partition17 WHERE slap_state='busy' AND requested_by=?", p.title());
                if (children > 0) {
                    update("UPDATE partition17 SET reported_state='destroyed', reported_at=? WHERE reference=? AND computer_reference=?", now(),
                            partitionId, computerId);
                    LOG.log(Level.INFO, "instance {0} destroyed on {1} {2}: its partition waits for {3} children", p.title(), computerId,
                            partitionId, children);
                    return "waiting for " + children + " children";
                }
                free(p);
                return "freed";
            }
            free(p);
            Partition root = byTitle(p.requestedBy(), null);
            if (root != null && "destroyed".equals(root.requestedState()) && "destroyed".equals(root.reportedState())
                    && count("SELECT count(*) FROM partition17 WHERE slap_state='busy' AND requested_by=?", root.title()) == 0)
                free(root);
            return "freed";
        });
    }

    private void free(Partition p) throws SQLException {
        update("UPDATE partition17 SET slap_state='free', software_release=NULL, xml=NULL, connection_xml=NULL, slave_instance_list=NULL, "
                + "software_type=NULL, partition_reference=NULL, requested_by=NULL, requested_state='started', timestamp=NULL, "
                + "reported_state=NULL, error_log=NULL, reported_at=NULL WHERE reference=? AND computer_reference=?", p.reference(), p.computer());
        update("DELETE FROM slave17 WHERE hosted_by=? AND computer_reference=?", p.reference(), p.computer());
        LOG.log(Level.INFO, "partition {0} {1} freed (it held {2})", p.computer(), p.reference(), p.title());
    }

    /** {@code softwareInstanceBang}: a new timestamp for every instance of the tree (they all redeploy). */
    public int bang(String computerId, String partitionId, String message) throws SlapException {
        required("computer_id", computerId);
        required("computer_partition_id", partitionId);
        int n = tx("softwareInstanceBang", () -> {
            Partition p = existing(computerId, partitionId);
            if (!p.busy())
                throw SlapException.notFound("partition " + partitionId + " on " + computerId + " holds no instance");
            String root = p.rootTitle();
            double ts = now();
            int changed = 0;
            for (Partition q : partitions("slap_state='busy' AND ((partition_reference=? AND requested_by IS NULL) OR requested_by=?)", root, root))
                changed += update("UPDATE partition17 SET timestamp=? WHERE reference=? AND computer_reference=?",
                        Math.max(ts, nextTimestamp(q.timestamp())), q.reference(), q.computer());
            return changed;
        });
        LOG.log(Level.INFO, "bang from {0} {1} ({2}): {3} instances redeploy", computerId, partitionId, message, n);
        return n;
    }

    /** {@code softwareInstanceRename}: a root's children follow it. */
    public void rename(String computerId, String partitionId, String newName) throws SlapException {
        required("computer_id", computerId);
        required("computer_partition_id", partitionId);
        required("new_name", newName);
        tx("softwareInstanceRename", () -> {
            Partition p = existing(computerId, partitionId);
            if (!p.busy())
                throw SlapException.notFound("partition " + partitionId + " on " + computerId + " holds no instance");
            if (newName.equals(p.title()))
                return null;
            if (byTitle(newName, p.requestedBy()) != null)
                throw SlapException.conflict("an instance " + describe(newName, p.requestedBy()) + " exists already");
            update("UPDATE partition17 SET partition_reference=? WHERE reference=? AND computer_reference=?", newName, partitionId, computerId);
            if (p.requestedBy() == null)
                update("UPDATE partition17 SET requested_by=? WHERE requested_by=?", newName, p.title());
            return null;
        });
    }

    // ---- rows -----------------------------------------------------------------------------------

    private static final String PARTITION_COLUMNS = "computer_reference, reference, slap_state, software_release, software_type, "
            + "partition_reference, requested_by, requested_state, xml, connection_xml, slave_instance_list, timestamp, reported_state, "
            + "error_log, reported_at";

    private List<Partition> partitions(String where, Object... args) throws SQLException {
        return limited(where, Integer.MAX_VALUE, args);
    }

    /** At most {@code limit} rows (the first free partition must not read every free one and its addresses). */
    private List<Partition> limited(String where, int limit, Object... args) throws SQLException {
        List<Partition> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT " + PARTITION_COLUMNS + " FROM partition17 WHERE " + where + " ORDER BY rowid"
                + (limit == Integer.MAX_VALUE ? "" : " LIMIT " + limit))) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next())
                    out.add(row(rs));
            }
        }
        return out;
    }

    private Partition row(ResultSet rs) throws SQLException {
        String computer = rs.getString(1), reference = rs.getString(2);
        List<Address> addresses = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT reference, address, netmask FROM partition_network17 WHERE partition_reference=? AND computer_reference=? ORDER BY rowid")) {
            ps.setString(1, reference);
            ps.setString(2, computer);
            try (ResultSet a = ps.executeQuery()) {
                while (a.next())
                    addresses.add(new Address(a.getString(1), a.getString(2), a.getString(3)));
            }
        }
        return new Partition(computer, reference, "busy".equals(rs.getString(3)), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getString(7), rs.getString(8), parseInstanceXml(rs.getString(9)), parseInstanceXml(rs.getString(10)),
                unmarshalList(rs.getString(11)), real(rs, 12), rs.getString(13), rs.getString(14), real(rs, 15), addresses);
    }

    private Partition find(String computer, String reference) throws SQLException {
        if (computer == null || reference == null)
            return null;
        List<Partition> l = partitions("computer_reference=? AND reference=?", computer, reference);
        return l.isEmpty() ? null : l.get(0);
    }

    private Partition existing(String computer, String reference) throws SQLException, SlapException {
        Partition p = find(computer, reference);
        if (p == null)
            throw SlapException.notFound("no partition " + reference + " on computer " + computer);
        return p;
    }

    private Partition byTitle(String title, String requestedBy) throws SQLException {
        List<Partition> l = limited("slap_state='busy' AND partition_reference=? AND requested_by IS ?", 1, title, requestedBy);
        return l.isEmpty() ? null : l.get(0);
    }

    private Partition firstFree(String computer) throws SQLException {
        List<Partition> l = computer != null ? limited("slap_state='free' AND computer_reference=?", 1, computer)
                : limited("slap_state='free'", 1);
        return l.isEmpty() ? null : l.get(0);
    }

    private Computer computer(String reference) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT reference, address, netmask FROM computer17 WHERE reference=?")) {
            ps.setString(1, reference);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Computer(rs.getString(1), rs.getString(2), rs.getString(3)) : null;
            }
        }
    }

    private Slave slaveByReference(String reference) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT reference, computer_reference, hosted_by, asked_by, connection_xml FROM slave17 WHERE reference=? ORDER BY rowid LIMIT 1")) {
            ps.setString(1, reference);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Slave(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), parseInstanceXml(rs.getString(5)))
                        : null;
            }
        }
    }

    /** The shared instances a partition hosts, with the connection parameters it published for them. */
    public List<Slave> slavesOf(String computerId, String partitionId) throws SlapException {
        return tx("slaves", () -> {
            List<Slave> out = new ArrayList<>();
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT reference, computer_reference, hosted_by, asked_by, connection_xml FROM slave17 WHERE computer_reference=? AND hosted_by=? ORDER BY rowid")) {
                ps.setString(1, computerId);
                ps.setString(2, partitionId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next())
                        out.add(new Slave(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), parseInstanceXml(rs.getString(5))));
                }
            }
            return out;
        });
    }

    private int update(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    private int count(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private String string(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null)
                ps.setNull(i + 1, Types.VARCHAR);
            else if (a instanceof Double d)
                ps.setDouble(i + 1, d);
            else
                ps.setString(i + 1, a.toString());
        }
    }

    private static Double real(ResultSet rs, int column) throws SQLException {
        double d = rs.getDouble(column);
        return rs.wasNull() ? null : d;
    }

    // ---- values ---------------------------------------------------------------------------------

    private double now() {
        return Math.round(clock.getAsDouble() * 1000) / 1000.0;
    }

    /** Now, but after {@code previous} (a node redeploys when the timestamp differs: two changes in one millisecond must differ). */
    private double nextTimestamp(Double previous) {
        double t = now();
        if (previous != null && t <= previous)
            t = Math.round((previous + 0.001) * 1000) / 1000.0;
        return t;
    }

    private static String instanceXml(Map<String, String> params) {
        try {
            return new String(InstanceXml.encode(params), StandardCharsets.UTF_8);
        } catch (XmlMarshallerException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static Map<String, String> parseInstanceXml(String xml) {
        if (xml == null || xml.isEmpty())
            return Map.of();
        try {
            return InstanceXml.decode(xml.getBytes(StandardCharsets.UTF_8));
        } catch (XmlMarshallerException e) {
            throw new StoreException("a stored instance XML does not parse: " + e.getMessage(), e);
        }
    }

    private static String marshal(List<XmlValue> list) {
        try {
            return XmlMarshaller.encodeToString(new XmlValue.ListV(list));
        } catch (XmlMarshallerException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static List<XmlValue> unmarshalList(String text) {
        if (text == null || text.isEmpty())
            return List.of();
        try {
            XmlValue v = XmlUnmarshaller.decode(text.getBytes(StandardCharsets.UTF_8));
            if (v instanceof XmlValue.ListV l)
                return l.items();
            throw new StoreException("a stored slave_instance_list is not a list", null);
        } catch (XmlMarshallerException e) {
            throw new StoreException("a stored slave_instance_list does not parse: " + e.getMessage(), e);
        }
    }

    private static void required(String field, String value) throws SlapException {
        if (value == null || value.isEmpty() || "None".equals(value))
            throw SlapException.badRequest("missing " + field);
        if (value.length() > MAX_NAME)
            throw SlapException.badRequest(field + " longer than " + MAX_NAME + " characters");
    }

    private static String describe(String title, String root) {
        return root == null ? title : title + " (in " + root + ")";
    }

    private static String lastLine(String log) {
        String t = log.strip();
        int nl = t.lastIndexOf('\n');
        String last = nl >= 0 ? t.substring(nl + 1) : t;
        return last.length() > 200 ? last.substring(0, 200) + "..." : last;
    }

    /** For tests and {@code computer info}: every partition of a computer, free ones too. */
    public List<Partition> partitionsOf(String computerId) throws SlapException {
        return tx("partitions", () -> partitions("computer_reference=?", computerId));
    }
}
