#!/usr/bin/env bash
# Runs one test class N times in a row on one JDK and prints one line per run: a flaky test is a
# bug, and this is how a claim of "N runs in a row" is made (and shown) on this machine.
#
#   tools/repeat-test.sh [-n RUNS] [-j JAVA_HOME] [-g GREP] MODULE TEST_CLASS
#
#   -n RUNS      how many runs (default 50)
#   -j JAVA_HOME the JDK (default: the current JAVA_HOME, else the default java)
#   -g GREP      a pattern whose matching lines of the test's output are shown for each run
#                (default: lines starting with the test class's own report, e.g. "stress:")
#
# Each run is `mvn -q -B -pl MODULE -am test -Dtest=TEST_CLASS` (the modules MODULE needs are
# built with it; after the first run nothing is recompiled). Exits 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=50
grep_for=""
while getopts "n:j:g:" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    j) export JAVA_HOME=$OPTARG ;;
    g) grep_for=$OPTARG ;;
    *) echo "usage: $0 [-n RUNS] [-j JAVA_HOME] [-g GREP] MODULE TEST_CLASS" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -ne 2 ]; then
  echo "usage: $0 [-n RUNS] [-j JAVA_HOME] [-g GREP] MODULE TEST_CLASS" >&2
  exit 2
fi
module=$1
test=$2
[ -n "$grep_for" ] || grep_for='^(stress|churn|proven):'
java_bin=${JAVA_HOME:+$JAVA_HOME/bin/}java
echo "== $test in $module, $runs runs, $("$java_bin" -version 2>&1 | head -1), $(nproc) cores, $(date -u +%FT%TZ)"

failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  if mvn -q -B -pl "$module" -am test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1; then
    verdict=pass
  else
    verdict=FAIL
    failed=$((failed + 1))
  fi
  took=$(echo "$(date +%s.%N) - $start" | bc)
  detail=$(grep -E "$grep_for" "$log" | head -3 | tr '\n' ' ' || true)
  printf '%3d %s %5.1fs %s\n' "$i" "$verdict" "$took" "$detail"
  if [ $verdict = FAIL ]; then
    grep -E "FAIL|Error|expected|at most|saw" "$log" | head -20 | sed 's/^/      /'
  fi
done
echo "== $test: $((runs - failed)) of $runs runs passed"
[ $failed -eq 0 ]
