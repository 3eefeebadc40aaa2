# Sourced by the run-*-bench.sh scripts: bench_jar NAME SOURCE_DIRS... builds
# benchmarks/target/benchmarks.jar when it is missing or older than the given sources (the
# benchmarks module and the parent POM always count), falls back to the existing jar when the
# build fails, and prints the path of a private copy (a rebuild during the run must not swap the
# classes under the running JVMs; the copy is removed when the script exits).
bench_jar() {
    name=$1; shift
    here=$(cd "$(dirname "$0")" && pwd)
    root=$(dirname "$here")
    jar="$here/target/benchmarks.jar"
    if [ ! -f "$jar" ] || [ -n "$(cd "$root" && find "$here/pom.xml" "$here/src" "$root/pom.xml" "$@" -newer "$jar" -print -quit)" ]; then
        log="$here/target/$name-build.log"
        mkdir -p "$here/target"
        echo "$name: building $jar (log: $log)" >&2
        if ! (cd "$root" && mvn -B -ntp -q -DskipTests package -pl benchmarks -am) >"$log" 2>&1; then
            tail -n 15 "$log" >&2
            if [ -f "$jar" ]; then
                echo "$name: build failed (above); measuring the existing, older $jar" >&2
            else
                echo "$name: build failed (above)" >&2
                exit 1
            fi
        fi
    fi
    bench_tmp=$(mktemp -d "/tmp/r6$name-jar.XXXXXX")
    trap 'rm -rf "$bench_tmp"' EXIT
    trap 'exit 130' INT TERM
    cp "$jar" "$bench_tmp/benchmarks.jar"
    BENCH_JAR="$bench_tmp/benchmarks.jar"
}
