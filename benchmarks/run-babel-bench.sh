#!/bin/sh
# Babel engine benchmarks (BENCHMARKS.md section 5), no root needed:
#   - heap per destination and per route, time to learn 100,000 destinations x 3 neighbours
#     (re6st.bench.BabelSelectionBenchmark's main);
#   - JMH with the GC profiler (gc.alloc.rate.norm = bytes allocated per operation):
#     BabelUpdateBenchmark   updates/s through BabelRouter.receive (1,000 Updates per call)
#     BabelSelectionBenchmark route selection with 100,000 destinations x 3 routes
#     BabelCodecBenchmark    PacketEncoder/PacketDecoder ns per TLV (40-Update packet)
#     BabelTimerBenchmark    cost of an idle daemon loop turn (tick + nextTimer) vs pending requests
#   then a summary table.
#
#   benchmarks/run-babel-bench.sh                    # short default run (about 2.5 minutes)
#   benchmarks/run-babel-bench.sh -wi 5 -i 5         # -f/-wi/-i/-w/-r given here replace the defaults
#   benchmarks/run-babel-bench.sh -p halfLifeMs=0    # any other JMH option is passed on
#   BABEL_BENCH='BabelCodec.*' benchmarks/run-babel-bench.sh   # a subset (regex on Class.method)
#
# Defaults: -f 1 -wi 2 -i 3 -w 1s -r 1s (short: the 99.9% error of 3 samples is 31.6 x the standard
# error; use -wi 5 -i 5 for numbers to quote). The benchmark JVMs get a fixed, pre-touched heap
# ($JVM_ARGS, passed as -jvmArgsPrepend unless you give that option): on this sandboxed VM the first
# touch of each heap page is so slow that, without it, the allocating benchmarks ran 5-8x slower
# for their first 2-4 s (page faults, not JIT: the same code at full speed at once with pre-touch).
#
# Builds benchmarks/target/benchmarks.jar if it is missing or older than the sources.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar="$here/target/benchmarks.jar"
filter="re6st\\.bench\\.${BABEL_BENCH:-Babel.*Benchmark\\..*}"

if [ ! -f "$jar" ] || [ -n "$(find "$here/pom.xml" "$here/src" "$root/pom.xml" "$root/routing-core/pom.xml" \
        "$root/routing-core/src/main" "$root/native/pom.xml" "$root/native/src/main" \
        "$root/netsim-tests/src/main" -newer "$jar" -print -quit)" ]; then
    echo "run-babel-bench.sh: building $jar" >&2
    (cd "$root" && mvn -q -DskipTests package -pl benchmarks -am)
fi

JVM_ARGS=${JVM_ARGS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}

csv=$(mktemp "${TMPDIR:-/tmp}/babel-bench.XXXXXX.csv")
trap 'rm -f "$csv"' EXIT

if [ -z "${BABEL_BENCH:-}" ]; then
    echo "== Route table footprint (100,000 destinations)"
    # shellcheck disable=SC2086 # $JVM_ARGS is a list of words
    java $JVM_ARGS -cp "$jar" re6st.bench.BabelSelectionBenchmark
    echo
fi

# JMH refuses an option given twice: add a default only when the caller did not give that option.
defaults=""
for d in -f=1 -wi=2 -i=3 -w=1s -r=1s; do
    name=${d%%=*}
    given=no
    for a in "$@"; do
        [ "$a" = "$name" ] && given=yes
    done
    [ "$given" = yes ] || defaults="$defaults $name ${d#*=}"
done
prepend=yes
for a in "$@"; do
    [ "$a" = -jvmArgsPrepend ] && prepend=no
done
if [ "$prepend" = yes ]; then
    set -- -jvmArgsPrepend "$JVM_ARGS" "$@"
fi

# shellcheck disable=SC2086 # $defaults is a list of words
java -jar "$jar" "$filter" $defaults -prof gc -foe true -rf csv -rff "$csv" "$@"

echo
echo "== Summary (score +- 99.9% error; thrpt rows also as ns per op; alloc = gc.alloc.rate.norm)"
# JMH CSV: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit",params...
awk -F, '
function unq(s) { gsub(/"/, "", s); return s }
{ sub(/\r$/, "") }
NR == 1 {
    np = 0
    for (i = 8; i <= NF; i++) { h = unq($i); sub(/^Param: /, "", h); pname[++np] = h }
    next
}
{
    name = unq($1); sub(/^re6st\.bench\./, "", name)
    params = ""
    for (i = 8; i <= NF; i++) { v = unq($i); if (v != "") params = params (params == "" ? "" : " ") pname[i - 7] "=" v }
    split(name, parts, ":")
    key = parts[1] SUBSEP params
    if (parts[2] == "") {
        order[++n] = key; bench[key] = parts[1]; par[key] = params
        score[key] = $5 + 0; err[key] = unq($6); unit[key] = unq($7)
    } else if (parts[2] == "gc.alloc.rate.norm") {
        alloc[key] = $5 + 0; allocErr[key] = unq($6)
    }
}
END {
    printf "%-46s %-15s %16s %12s %-6s %10s %12s\n", "benchmark", "params", "score", "+-error", "unit", "ns/op", "alloc B/op"
    for (i = 1; i <= n; i++) {
        k = order[i]
        ns = unit[k] == "ops/s" ? sprintf("%.1f", 1e9 / score[k]) : ""
        e = err[k] == "NaN" ? "n/a" : sprintf("%.3g", err[k])
        a = (k in alloc) ? sprintf("%.1f", alloc[k]) : "n/a"
        printf "%-46s %-15s %16.1f %12s %-6s %10s %12s\n", bench[k], par[k], score[k], e, unit[k], ns, a
    }
}' "$csv"
