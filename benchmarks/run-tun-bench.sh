#!/bin/sh
# TUN round-trip benchmark: ns per packet for JNI batch, JNI single-packet and JNA read/write
# on a real TUN device whose kernel side answers ICMP echo requests (re6st.bench.TunRoundTripBenchmark).
#
#   sudo benchmarks/run-tun-bench.sh               # short default run (about 1 minute)
#   sudo benchmarks/run-tun-bench.sh -i 10 -r 5s   # extra JMH options override the defaults
#
# Needs root: it creates a network namespace r6t<pid>-... holding a TUN device, removed when
# the benchmark JVM ends (or, after a killed run, by the next run or ./re6st netsim-cleanup). Builds benchmarks/target/benchmarks.jar if it is missing
# or older than the sources.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar="$here/target/benchmarks.jar"

if [ "$(id -u)" -ne 0 ]; then
    echo "run-tun-bench.sh: needs root (creates a network namespace and a TUN device); run: sudo $0 $*" >&2
    exit 1
fi

if [ ! -f "$jar" ] || [ -n "$(find "$here/pom.xml" "$here/src" "$root/pom.xml" "$root/native/pom.xml" \
        "$root/native/src/main" "$root/netsim-tests/src/main" -newer "$jar" -print -quit)" ]; then
    echo "run-tun-bench.sh: building $jar" >&2
    (cd "$root" && mvn -q -DskipTests package -pl benchmarks -am)
fi

java -jar "$jar" 're6st\.bench\.TunRoundTripBenchmark\..*' -f 1 -wi 3 -i 5 -w 1s -r 2s -foe true "$@"
