#!/usr/bin/env bash
# Runs LocalFsBenchmark (interleaved rounds: bare write+fdatasync, our append, SQLite WAL+FULL;
# then the fsyncs and renames of a commit), then counts the system calls of one append with
# strace (if installed): two runs that differ only in the number of appends, subtracted.
#
#   backend-localfs/bench.sh [ROUNDS] [SCALE]      from the repository root; defaults 7 1
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
SCALE=${2:-1}
mvn -B -q -pl backend-localfs -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
CP="backend-localfs/target/test-classes:backend-localfs/target/classes:$(cat backend-localfs/target/bench.cp)"
MAIN=dev.sessionstore.localfs.LocalFsBenchmark
SCRATCH=backend-localfs/target/bench
java -cp "$CP" $MAIN "$SCRATCH" "$ROUNDS" "$SCALE"

if ! command -v strace >/dev/null; then
  echo "strace not installed: no system call count"
  exit 0
fi
N=2000
strace -f -c -o target/strace-0.txt java -cp "$CP" $MAIN "$SCRATCH" syscalls 0
strace -f -c -o target/strace-$N.txt java -cp "$CP" $MAIN "$SCRATCH" syscalls $N
echo
echo "System calls per append (strace -f -c of $N appends minus 0 appends, after 500 warm-up):"
echo
echo "| system call | per append |"
echo "|---|---|"
awk -v n=$N '
  FNR == NR && $NF != "total" && $4 ~ /^[0-9]+$/ { base[$NF] = $4; next }
  $NF != "total" && $4 ~ /^[0-9]+$/ { d = ($4 - base[$NF]) / n; if (d >= 0.02 || d <= -0.02) printf "| %s | %.2f |\n", $NF, d }
' target/strace-0.txt target/strace-$N.txt | sort -t'|' -k3 -rn
