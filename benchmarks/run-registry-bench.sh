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


enrolments=${1:-500}
seconds=${2:-10}

. "$(dirname "$0")/bench-jar.sh"
bench_jar run-registry-bench re6st-registry/pom.xml re6st-registry/src/main
# shellcheck disable=SC2086
java ${RE6ST_JAVA_OPTS:-} -cp "$BENCH_JAR" re6st.bench.RegistryBench "$enrolments" "$seconds"
