package re6st.slap.master;

import java.util.List;
import java.util.Map;

import re6st.slap.xml.XmlValue;

/** What the master stores and answers, as plain values (the HTTP layer turns them into slap documents). */
public final class MasterModel {
    private MasterModel() {
    }

    /** A partition's address as {@code slapos node format} posted it ({@code tap} name = interface). */
    public record Address(String ifname, String address, String netmask) {
    }

    /**
     * One row of {@code partition17} and its addresses. {@code title} is the instance's name
     * ({@code partition_reference}); {@code requestedBy} is null for a root instance, else the
     * root's title (trees are flat, scoped by their root). {@code timestamp} changes only on a
     * real change or a bang. {@code reportedState}/{@code errorLog}/{@code reportedAt}: what the
     * node last reported (slapproxy drops reports; we keep them).
     */
    public record Partition(String computer, String reference, boolean busy, String softwareRelease, String softwareType,
                            String title, String requestedBy, String requestedState, Map<String, String> parameters,
                            Map<String, String> connection, List<XmlValue> slaveInstances, Double timestamp,
                            String reportedState, String errorLog, Double reportedAt, List<Address> addresses) {
        public Partition {
            parameters = Map.copyOf(parameters);
            connection = Map.copyOf(connection);
            slaveInstances = List.copyOf(slaveInstances);
            addresses = List.copyOf(addresses);
        }

        /** {@code <computer>-<partition>}, slapproxy's instance guid. */
        public String instanceGuid() {
            return computer + "-" + reference;
        }

        /** The root instance's title: its own for a root. */
        public String rootTitle() {
            return requestedBy == null ? title : requestedBy;
        }
    }

    /** A software release the master asks a computer to have ({@code available}) or remove ({@code destroyed}). */
    public record Software(String url, String computer, String requestedState, String reportedState, String errorLog,
                           Double reportedAt) {
    }

    /** A computer as format registered it. */
    public record Computer(String reference, String address, String netmask) {
    }

    /** A shared instance ("slave") and the host partition serving it. */
    public record Slave(String reference, String computer, String hostedBy, String askedBy, Map<String, String> connection) {
        public Slave {
            connection = Map.copyOf(connection);
        }
    }

    /** What format posts: the computer, then each partition with its interface and addresses. */
    public record ComputerConfig(String reference, String address, String netmask, List<PartitionConfig> partitions) {
        public ComputerConfig {
            partitions = List.copyOf(partitions);
        }
    }

    public record PartitionConfig(String reference, String tap, List<Address> addresses) {
        public PartitionConfig {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * {@code requestComputerPartition}'s fields. {@code requesterComputer}/{@code requesterPartition}
     * are set when a partition requests (its instance's root then scopes the title). Parameters keep
     * their xml_marshaller values: a partition stores them as {@code str(value)}, a shared
     * instance's entry in its host's {@code slave_instance_list} keeps them as they are.
     */
    public record InstanceRequest(String softwareRelease, String softwareType, String title, String requesterComputer,
                                  String requesterPartition, Map<String, XmlValue> parameters, Map<String, String> filter,
                                  String state, boolean shared) {
        public InstanceRequest {
            parameters = Map.copyOf(parameters);
            filter = Map.copyOf(filter);
        }
    }

    /**
     * The answer to a request: the partition that holds the instance (for a shared instance, its
     * host) and, for a shared instance, its own connection parameters and the parameters asked.
     */
    public record Placed(Partition partition, String requestedState, Slave slave, Map<String, String> sharedParameters) {
        /** The connection parameters the requester sees: the shared instance's, or the partition's. */
        public Map<String, String> connection() {
            return slave != null ? slave.connection() : partition.connection();
        }

        /** The parameters the requester asked for, as stored (strings). */
        public Map<String, String> parameters() {
            return slave != null ? sharedParameters : partition.parameters();
        }
    }
}
