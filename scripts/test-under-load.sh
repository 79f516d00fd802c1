#!/usr/bin/env bash
# Runs the full test suite (bun run test) N times while the machine is kept busy, and reports
# pass/fail per run. The suite must pass on a loaded machine every time: a run that fails here
# is a flaky test to fix.
set -uo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/test-under-load.sh [--runs N] [--load hogs|suites|none] [--keep-logs DIR]

Runs `bun run test` N times while the machine is loaded and prints one line per run, then a
summary. Exit 0 only when every run passed.

  --runs N          how many runs, 1..1000                                   [10]
  --load KIND       hogs:   two CPU busy loops run the whole time            [hogs]
                    suites: a second copy of the suite runs alongside each run
                    none:   no extra load
  --keep-logs DIR   write each run's output to DIR/run-N.log (default: a temporary
                    directory, removed at the end unless a run failed)
  -h, --help        this text
EOF
}

fail_usage() {
  echo "test-under-load: $1; see scripts/test-under-load.sh --help" >&2
  exit 2
}

runs=10 load=hogs logs=""
while (($#)); do
  case "$1" in
  --runs) [[ $# -ge 2 ]] || fail_usage "--runs needs a number"; runs=$2; shift 2 ;;
  --load) [[ $# -ge 2 ]] || fail_usage "--load needs hogs, suites or none"; load=$2; shift 2 ;;
  --keep-logs) [[ $# -ge 2 ]] || fail_usage "--keep-logs needs a directory"; logs=$2; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  *) fail_usage "unknown option '$1'" ;;
  esac
done
[[ $runs =~ ^[0-9]+$ ]] && ((runs >= 1 && runs <= 1000)) || fail_usage "--runs must be a whole number from 1 to 1000, not '$runs'"
case "$load" in hogs | suites | none) ;; *) fail_usage "--load must be hogs, suites or none, not '$load'" ;; esac

cd "$(dirname "$0")/.." || exit 1
own_logs=0
if [[ -z $logs ]]; then logs=$(mktemp -d /tmp/test-under-load.XXXXXX) own_logs=1; fi
mkdir -p "$logs" || fail_usage "cannot create the log directory '$logs'"

# Everything started in the background is stopped on every way out.
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ $load == hogs ]]; then
  for _ in 1 2; do
    setsid bash -c 'while :; do :; done' &
    pids+=($!)
  done
fi

# Counts " N pass" / " N fail" lines of bun test (turbo prefixes them with the task name).
count() { awk '/^[^ ]*:? *[0-9]+ pass$/{p+=$(NF-1)} /^[^ ]*:? *[0-9]+ fail$/{f+=$(NF-1)} END{printf "%d %d", p, f}' "$1"; }

green=0
for ((i = 1; i <= runs; i++)); do
  if [[ $load == suites ]]; then
    setsid bun run test >"$logs/load-$i.log" 2>&1 &
    pids+=($!)
  fi
  start=$(date +%s)
  bun run test >"$logs/run-$i.log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  read -r passed failed <<<"$(count "$logs/run-$i.log")"
  if ((rc == 0 && failed == 0)); then
    green=$((green + 1))
    echo "run $i/$runs: passed ($passed passed, $failed failed, $secs s)"
  else
    echo "run $i/$runs: FAILED ($passed passed, $failed failed, exit $rc, $secs s; log: $logs/run-$i.log)"
    grep -E '^[^ ]*:? *\(fail\)' "$logs/run-$i.log" | sed 's/^/    /' | head -20
    own_logs=0 # keep the evidence
  fi
  if [[ $load == suites ]]; then
    kill -- "-${pids[-1]}" 2>/dev/null
    wait "${pids[-1]}" 2>/dev/null
    unset 'pids[-1]'
  fi
done

echo "$green of $runs runs green (load: $load, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
((own_logs)) && rm -rf "$logs"
((green == runs))
