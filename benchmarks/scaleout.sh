#!/usr/bin/env bash
# Scale-out figures (issue 7): fan-out query latency with 1 and 3 instances, and the window in which
# the partitions of a killed instance go unanswered, with 0 and 1 standby replicas.
#
#   benchmarks/scaleout.sh [--runs N] [--tasks N] [--skip-build] [--keep]
#
# For each standby count (0, then 1): instance A starts on the embedded default (its broker serves
# all three), TASKS tasks are created, FanOutLatency asks A alone; instances B and C join with
# KAFKA_BOOTSTRAP_SERVERS pointing at A's broker, and once the three hold all partitions between
# them FanOutLatency asks A again. Then RUNS times: FailoverWindow kills C with SIGKILL and reads a
# task of every partition through A and B until all answer again; C restarts on its data dir and
# the group settles before the next run. Settings: RUNS (5), TASKS (10000), PARTITIONS (6),
# FANOUT_N (1000), READY_TIMEOUT_SECONDS (180). Logs and result lines stay in /tmp/taskstate-scaleout.*.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-5}"
TASKS="${TASKS:-10000}"
PARTITIONS="${PARTITIONS:-6}"
FANOUT_N="${FANOUT_N:-1000}"
READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-180}"
BUILD=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --tasks) TASKS="$2"; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WORK="$(mktemp -d /tmp/taskstate-scaleout.XXXXXX)"
RESULTS="$WORK/results.txt"
: > "$RESULTS"
declare -A PID URL
cleanup() {
  local rc=$? n
  for n in C B A; do
    if [[ -n "${PID[$n]:-}" ]] && kill -0 "${PID[$n]}" 2>/dev/null; then kill -TERM "${PID[$n]}" 2>/dev/null || true; fi
  done
  for n in C B A; do [[ -n "${PID[$n]:-}" ]] && wait "${PID[$n]}" 2>/dev/null || true; done
  if (( rc != 0 )); then log "failed (exit $rc); logs kept in $WORK"; elif (( KEEP == 0 )); then rm -rf "$WORK"/data-* "$WORK/server" "$WORK/bench"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (( BUILD )); then
  log "building (mvn -B -q package -DskipTests)"
  (cd "$ROOT" && mvn -B -q package -DskipTests)
fi
mkdir -p "$WORK/server" "$WORK/bench"
cp -r "$ROOT/streams-app/target/taskstate.jar" "$ROOT/streams-app/target/lib" "$WORK/server/"
cp -r "$ROOT/benchmarks/target/taskstate-benchmarks.jar" "$ROOT/benchmarks/target/lib" "$WORK/bench/"
UNSET=()
while IFS='=' read -r name _; do
  [[ "$name" == TASKSTATE_* || "$name" == KAFKA_* ]] && UNSET+=(-u "$name")
done < <(env)

start() { # name, data dir, standbys, extra --set settings...
  local name="$1" data="$2" standbys="$3"; shift 3
  local port sets=() s
  port="${PORT[$name]}"
  for s in "$@"; do sets+=(--set "$s"); done
  env "${UNSET[@]}" java -jar "$WORK/server/taskstate.jar" serve --data-dir "$data" --http-port "$port" \
    --set "TASKSTATE_PARTITIONS=$PARTITIONS" --set "TASKSTATE_STANDBY_REPLICAS=$standbys" \
    --set "TASKSTATE_REPLICATION_FACTOR=1" ${sets[@]+"${sets[@]}"} >> "$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  URL[$name]="http://127.0.0.1:$port"
}
# Every named instance answers ready and holds some partitions, and between them they hold each once.
settled() {
  local n held=""
  for n in "$@"; do
    curl -fsS -o /dev/null "${URL[$n]}/health/ready" 2>/dev/null || return 1
    held="$held $(curl -fsS "${URL[$n]}/internal/v1/tasks?limit=1" 2>/dev/null \
      | python3 -c 'import json,sys; p=json.load(sys.stdin)["partitions"]; print(",".join(map(str,p)) if p else "none")' 2>/dev/null)" || return 1
  done
  python3 - "$PARTITIONS" $held <<'PY'
import sys
n = int(sys.argv[1]); held = sys.argv[2:]
if "none" in held: sys.exit(1)
allp = sorted(int(p) for h in held for p in h.split(","))
sys.exit(0 if allp == list(range(n)) else 1)
PY
}
await_settled() {
  local deadline=$(( SECONDS + READY_TIMEOUT_SECONDS )) n
  until settled "$@"; do
    for n in "$@"; do kill -0 "${PID[$n]}" 2>/dev/null || { log "instance $n exited; see $WORK/$n.log"; tail -n 20 "$WORK/$n.log" >&2; exit 1; }; done
    (( SECONDS < deadline )) || { log "instances $* did not settle within ${READY_TIMEOUT_SECONDS} s"; exit 1; }
    sleep 0.5
  done
}
bench() { local cls="$1"; shift; java -cp "$WORK/bench/taskstate-benchmarks.jar" "io.taskstate.benchmarks.$cls" "$@" | tee -a "$RESULTS"; }

declare -A PORT
for standbys in 0 1; do
  for n in A B C; do PORT[$n]="$(free_port)"; done
  KAFKA_PORT="$(free_port)"; CONTROLLER_PORT="$(free_port)"
  BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
  log "standbys=$standbys: instance A with the embedded broker on $BOOTSTRAP"
  start A "$WORK/data-$standbys-A" "$standbys" "TASKSTATE_EMBEDDED_KAFKA_PORT=$KAFKA_PORT" "TASKSTATE_EMBEDDED_CONTROLLER_PORT=$CONTROLLER_PORT"
  await_settled A
  log "creating $TASKS tasks"
  java -cp "$WORK/bench/taskstate-benchmarks.jar" io.taskstate.benchmarks.GetThroughput --bootstrap "$BOOTSTRAP" \
    --base-url "${URL[A]}" --tasks "$TASKS" --ids-file "$WORK/ids-$standbys.txt" --seed-only > /dev/null
  if (( standbys == 0 )); then bench FanOutLatency --base-url "${URL[A]}" --n "$FANOUT_N" --instances 1; fi
  start B "$WORK/data-$standbys-B" "$standbys" "KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP"
  start C "$WORK/data-$standbys-C" "$standbys" "KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP"
  await_settled A B C
  if (( standbys == 0 )); then bench FanOutLatency --base-url "${URL[A]}" --n "$FANOUT_N" --instances 3; fi
  for run in $(seq 1 "$RUNS"); do
    await_settled A B C
    log "standbys=$standbys run $run: kill -9 of instance C (pid ${PID[C]})"
    bench FailoverWindow --urls "${URL[A]},${URL[B]}" --kill-pid "${PID[C]}" --partitions "$PARTITIONS" \
      --standbys "$standbys" --run "$run"
    wait "${PID[C]}" 2>/dev/null || true
    start C "$WORK/data-$standbys-C" "$standbys" "KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP"
  done
  await_settled A B C
  for n in C B A; do kill -TERM "${PID[$n]}"; wait "${PID[$n]}" 2>/dev/null || true; PID[$n]=""; done
done

log "summary (median and min - max over runs)"
java -cp "$WORK/bench/taskstate-benchmarks.jar" io.taskstate.benchmarks.Summarize "$RESULTS"
log "result lines in $RESULTS"
