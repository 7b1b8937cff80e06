#!/bin/sh
# fdcap demo: a program that keeps 3,000 descriptors open at once (RandomAccessFiles,
# FileChannels, and logs written with a FileWriter and read with a FileInputStream), run under a
# limit of 256 descriptors, first without fdcap (it dies of "Too many open files"), then with the
# agent (it completes, with the same checksum as an unlimited run, and the agent's stats show the
# descriptors it suspended and restored).
#
# Usage (from anywhere): agent/demo.sh [files-per-kind=750] [limit=256]
# JAVA_HOME selects the JDK (17 or later); Maven builds the jar and the demo when missing.
set -eu
cd "$(dirname "$0")/.."
N="${1:-750}"
LIMIT="${2:-256}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
AGENT=agent/target/fdcap-agent.jar
CLASSES=it-tests/target/classes

if [ ! -f "$AGENT" ] || [ ! -f "$CLASSES/org/fdcap/examples/ManyFilesDemo.class" ]; then
    echo "== building fdcap (mvn -B -q -DskipTests package)"
    mvn -B -q -DskipTests package
fi

limit() {
    if command -v prlimit >/dev/null 2>&1; then
        prlimit --nofile="$LIMIT:$LIMIT" "$@"
    else
        sh -c 'ulimit -n "$0" && shift && exec "$@"' "$LIMIT" "$@"
    fi
}

echo "== without fdcap, RLIMIT_NOFILE=$LIMIT, $((4 * N)) descriptors open at once:"
if limit "$JAVA" -cp "$CLASSES" org.fdcap.examples.ManyFilesDemo "$N" 2>&1 | grep -m1 -E 'Too many open files|checksum'; then :; fi

echo "== with fdcap (-javaagent:$AGENT -Dfdcap.stats=exit), RLIMIT_NOFILE=$LIMIT:"
limit "$JAVA" -javaagent:"$AGENT" -Dfdcap.stats=exit -cp "$CLASSES" org.fdcap.examples.ManyFilesDemo "$N"

echo "== without any limit, for comparison:"
"$JAVA" -cp "$CLASSES" org.fdcap.examples.ManyFilesDemo "$N" | tail -1
