#!/bin/sh
# Side-by-side tunnel throughput (BENCHMARKS.md section 1): iperf3, one TCP stream, between two
# namespaces on a veth pair through the raw veth, OpenVPN 2.6, wireguard-go and `re6st tunnel`,
# runs interleaved; prints median Gbit/s with spread, ratio to OpenVPN, CPU s/GB and RSS, and a
# Markdown table (re6st.bench.TunnelCompareBench).
#
#   sudo benchmarks/run-tunnel-bench.sh          # 8 s per run, 3 runs of each path
#   sudo benchmarks/run-tunnel-bench.sh 5 1      # SECONDS per run, RUNS per path
#
# Needs root (namespaces r6t<pid>-..., TUN devices), and the Debian packages iperf3, openvpn,
# wireguard-go, wireguard-tools, openssl, iproute2, iputils-ping (a missing baseline is reported
# as failed, the rest still runs). Everything is removed when the benchmark ends, also on failure
# or Ctrl-C (after a kill -9: by the next run or ./re6st netsim-cleanup). Builds
# benchmarks/target/benchmarks.jar if it is missing or older than the sources; the tunnel JVMs get
# $RE6ST_JAVA_OPTS like ./re6st tunnel.
set -eu


if [ "$(id -u)" -ne 0 ]; then
    echo "run-tunnel-bench.sh: needs root (creates network namespaces and TUN devices); run: sudo $0 $*" >&2
    exit 1
fi
seconds=${1:-8}
runs=${2:-3}

. "$(dirname "$0")/bench-jar.sh"
bench_jar run-tunnel-bench native/pom.xml native/src/main netsim-tests/src/main tunnel-io/pom.xml tunnel-io/src/main
java -cp "$BENCH_JAR" re6st.bench.TunnelCompareBench "$seconds" "$runs"
