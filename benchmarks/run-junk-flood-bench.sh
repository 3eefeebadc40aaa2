#!/bin/sh
# Issue 12 item 3 acceptance, measured (re6st.bench.JunkFloodBench): DTLS junk records at one
# tunnel endpoint, forged from the address of a member, while iperf3 (TCP, one stream) runs
# through another tunnel of the same endpoint; the same without junk, interleaved. Prints both
# throughputs, their ratio (acceptance: >= 0.80), what the endpoint counted, and whether any
# tunnel's liveness went down (acceptance: never).
#
#   sudo benchmarks/run-junk-flood-bench.sh            # 10 s per run, 5000 records/s, 2 pairs of runs
#   sudo benchmarks/run-junk-flood-bench.sh 10 5000 3  # SECONDS RATE RUNS
#
# Needs root (namespaces r6t<pid>-..., TUN devices) and the Debian packages iperf3, openssl,
# iproute2. Everything is removed when the benchmark ends, also on failure or Ctrl-C (after a
# kill -9: by the next run or ./re6st netsim-cleanup). Builds benchmarks/target/benchmarks.jar if
# it is missing or older than the sources.
set -eu

if [ "$(id -u)" -ne 0 ]; then
    echo "run-junk-flood-bench.sh: needs root (creates network namespaces and TUN devices); run: sudo $0 $*" >&2
    exit 1
fi
seconds=${1:-10}
rate=${2:-5000}
runs=${3:-2}

. "$(dirname "$0")/bench-jar.sh"
bench_jar run-junk-flood-bench native/pom.xml native/src/main netsim-tests/src/main tunnel-io/pom.xml tunnel-io/src/main
java -cp "$BENCH_JAR" re6st.bench.JunkFloodBench "$seconds" "$rate" "$runs"
