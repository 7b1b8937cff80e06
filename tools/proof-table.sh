#!/usr/bin/env bash
# The proof table of docs/proof.md: runs `mvn -B verify` (everything CI runs) on JDK 17 and on
# JDK 25, keeps each run's test reports, and renders them as one markdown table, scenarios x JDK
# x result, into target/proof/proof-table.md (and stdout). Exits non-zero if any test failed.
#
#   tools/proof-table.sh                 # both JDKs (about 2 x the CI time)
#   tools/proof-table.sh --reports-only  # only render the reports a previous run kept
#
# Extra arguments go to Maven (e.g. -Dfuzz.seeds=100).
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/proof

find_jdk() { # $1 = feature version
  local candidate
  for candidate in /usr/lib/jvm/*; do
    if [ -x "$candidate/bin/javac" ] && "$candidate/bin/java" -version 2>&1 | grep -qE "version \"$1(\.|\")"; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

JDK17=$(find_jdk 17) || { echo "proof-table: no JDK 17 under /usr/lib/jvm" >&2; exit 1; }
JDK25=$(find_jdk 25) || { echo "proof-table: no JDK 25 under /usr/lib/jvm" >&2; exit 1; }

if [ "${1:-}" != "--reports-only" ]; then
  rm -rf "$out"
  for pair in "17:$JDK17" "25:$JDK25"; do
    version=${pair%%:*}
    jdk=${pair#*:}
    echo "=== proof-table: mvn -B verify on JDK $version ($jdk) ===" >&2
    # Failures are recorded, not fatal, so that both JDKs run and every row has a result.
    JAVA_HOME="$jdk" mvn -B verify -Dmaven.test.failure.ignore=true "$@" >&2 || true
    mkdir -p "$out/jdk$version"
    for reports in */target/surefire-reports */target/failsafe-reports; do
      if [ -d "$reports" ]; then
        cp "$reports"/TEST-*.xml "$out/jdk$version/" 2>/dev/null || true
      fi
    done
  done
fi

"$JDK17/bin/java" tools/ProofTable.java "$out/jdk17" "$out/jdk25" > "$out/proof-table.md"
cat "$out/proof-table.md"
! grep -qE '\| (FAIL|ERROR|missing)' "$out/proof-table.md"
