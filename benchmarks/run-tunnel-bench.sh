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

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar="$here/target/benchmarks.jar"

if [ "$(id -u)" -ne 0 ]; then
    echo "run-tunnel-bench.sh: needs root (creates network namespaces and TUN devices); run: sudo $0 $*" >&2
    exit 1
fi
seconds=${1:-8}
runs=${2:-3}

if [ ! -f "$jar" ] || [ -n "$(find "$here/pom.xml" "$here/src" "$root/pom.xml" "$root/native/pom.xml" \
        "$root/native/src/main" "$root/netsim-tests/src/main" "$root/tunnel-io/pom.xml" "$root/tunnel-io/src/main" \
        -newer "$jar" -print -quit)" ]; then
    log="$here/target/run-tunnel-bench-build.log"
    mkdir -p "$here/target"
    echo "run-tunnel-bench.sh: building $jar (log: $log)" >&2
    if ! (cd "$root" && mvn -B -ntp -q -DskipTests package -pl benchmarks -am) >"$log" 2>&1; then
        tail -n 15 "$log" >&2
        if [ -f "$jar" ]; then
            echo "run-tunnel-bench.sh: build failed (above); measuring the existing, older $jar" >&2
        else
            echo "run-tunnel-bench.sh: build failed (above)" >&2
            exit 1
        fi
    fi
fi

# Run from a private copy: a rebuild during the run must not swap the classes under the JVMs.
tmp=$(mktemp -d /tmp/r6tuncmp-jar.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
cp "$jar" "$tmp/benchmarks.jar"
java -cp "$tmp/benchmarks.jar" re6st.bench.TunnelCompareBench "$seconds" "$runs"
