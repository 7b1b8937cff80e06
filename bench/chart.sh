#!/bin/sh
# Regenerates docs/throughput-vs-cap.svg and docs/throughput-vs-cap.csv: random 4 KiB reads over
# 2,000 files with the cap at 5% ... 100% of them, through the agent, through a hand-written LRU
# pool of the same size, and uncapped (every file open, no agent). About 4 minutes on 2 cores
# (7 with --forks 2, which is how docs/throughput-vs-cap.svg was drawn).
# Extra arguments go to AgentComparison (e.g. --threads 1 --forks 2).
set -eu
cd "$(dirname "$0")/.."
if [ ! -f bench/target/benchmarks.jar ] || [ ! -f agent/target/fdcap-agent.jar ]; then
    mvn -B -q -DskipTests package
fi
exec java -cp bench/target/benchmarks.jar org.fdcap.bench.AgentComparison sweep \
    --forks 1 --warmup 2 --iterations 3 --threads 1,2 \
    --csv docs/throughput-vs-cap.csv --svg docs/throughput-vs-cap.svg "$@"
