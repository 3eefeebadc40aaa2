#!/bin/sh
# Registry throughput (BENCHMARKS.md section 4, issue 5 acceptance 8): a registry in-process on
# 127.0.0.1 (fresh 2048-bit CA, anonymous enrolment, SQLite database in a temporary directory) and
# 32 concurrent clients: (a) anonymous enrolments (requestCertificate), (b) hello once per client
# then authenticated getNetworkConfig calls for SECONDS. Checks the results (a certificate every
# time, distinct CNs; every configuration decompresses) and prints a Markdown table
# (re6st.bench.RegistryBench): operation, clients, count, per second, p50 ms, p99 ms.
#
#   benchmarks/run-registry-bench.sh            # 500 enrolments, 10 s of getNetworkConfig
#   benchmarks/run-registry-bench.sh 64 2       # ENROLMENTS (>= 32), SECONDS
#
# No root needed. Builds benchmarks/target/benchmarks.jar if it is missing or older than the
# sources; the JVM gets $RE6ST_JAVA_OPTS.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar="$here/target/benchmarks.jar"

enrolments=${1:-500}
seconds=${2:-10}

if [ ! -f "$jar" ] || [ -n "$(find "$here/pom.xml" "$here/src" "$root/pom.xml" \
        "$root/re6st-registry/pom.xml" "$root/re6st-registry/src/main" -newer "$jar" -print -quit)" ]; then
    log="$here/target/run-registry-bench-build.log"
    mkdir -p "$here/target"
    echo "run-registry-bench.sh: building $jar (log: $log)" >&2
    if ! (cd "$root" && mvn -B -ntp -q -DskipTests package -pl benchmarks -am) >"$log" 2>&1; then
        tail -n 15 "$log" >&2
        if [ -f "$jar" ]; then
            echo "run-registry-bench.sh: build failed (above); measuring the existing, older $jar" >&2
        else
            echo "run-registry-bench.sh: build failed (above)" >&2
            exit 1
        fi
    fi
fi

# Run from a private copy: a rebuild during the run must not swap the classes under the JVM.
tmp=$(mktemp -d /tmp/r6regbench-jar.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
cp "$jar" "$tmp/benchmarks.jar"
# shellcheck disable=SC2086
java ${RE6ST_JAVA_OPTS:-} -cp "$tmp/benchmarks.jar" re6st.bench.RegistryBench "$enrolments" "$seconds"
