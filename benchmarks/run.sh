#!/usr/bin/env bash
# Builds taskstate, starts a server on a fresh data dir with non-default ports, runs each benchmark
# RUNS times, stops the server and prints the median and spread (min - max) of every figure.
#
#   benchmarks/run.sh [--runs N] [--skip-build] [--no-wrk] [--keep]
#
# Settings (environment): RUNS (5), CREATE_WARMUP (2000), CREATE_N (5000), CREATE_MAX_SECONDS (180),
# GET_TASKS (1000), GET_THREADS (16), GET_WARMUP_SECONDS (5), GET_SECONDS (20), WRK_THREADS (2),
# HTTP_PORT / KAFKA_PORT / CONTROLLER_PORT (18080 / 19092 / 19093, or free random ones if taken),
# READY_TIMEOUT_SECONDS (180), BENCH_JAVA_OPTS, SERVER_JAVA_OPTS.
# Everything (server log, raw result lines, per-run logs) lands in a fresh /tmp/taskstate-bench.* dir.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-5}"
BUILD=1
USE_WRK=auto
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --runs=*) RUNS="${1#*=}"; shift ;;
    --skip-build) BUILD=0; shift ;;
    --no-wrk) USE_WRK=no; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

CREATE_WARMUP="${CREATE_WARMUP:-2000}"
CREATE_N="${CREATE_N:-5000}"
CREATE_MAX_SECONDS="${CREATE_MAX_SECONDS:-180}"
GET_TASKS="${GET_TASKS:-1000}"
GET_THREADS="${GET_THREADS:-16}"
GET_WARMUP_SECONDS="${GET_WARMUP_SECONDS:-5}"
GET_SECONDS="${GET_SECONDS:-20}"
WRK_THREADS="${WRK_THREADS:-2}"
READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-180}"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:-}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:-}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # preferred port if free, else a random free one not in the exclusions
  local want="$1"; shift
  local p="$want" i
  for i in $(seq 1 100); do
    if ! port_in_use "$p" && [[ " $* " != *" $p "* ]]; then echo "$p"; return 0; fi
    p=$(( 20000 + RANDOM % 30000 ))
  done
  echo "no free port found" >&2; return 1
}

WORK="$(mktemp -d /tmp/taskstate-bench.XXXXXX)"
RESULTS="$WORK/results.txt"
: > "$RESULTS"
SERVER_PID=""

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    log "stopping the server (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local deadline=$(( SECONDS + 60 ))
    while kill -0 "$SERVER_PID" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "the server did not stop within 60 s; killing it"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
cleanup() {
  local rc=$?
  stop_server
  if (( rc != 0 )); then
    log "failed (exit $rc); logs kept in $WORK"
  elif (( KEEP == 0 )); then
    rm -rf "$WORK/data" "$WORK/server" "$WORK/bench"   # broker log, state stores, jar copies; results and logs stay
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build
if (( BUILD )); then
  log "building (mvn -B -q package -DskipTests)"
  (cd "$ROOT" && mvn -B -q package -DskipTests)
fi
for jar in streams-app/target/taskstate.jar benchmarks/target/taskstate-benchmarks.jar; do
  [[ -f "$ROOT/$jar" ]] || { echo "missing $ROOT/$jar: build first (drop --skip-build)" >&2; exit 1; }
done
# Run copies, so a rebuild in the source tree while this runs cannot swap jars under the JVMs.
mkdir -p "$WORK/server" "$WORK/bench"
cp -r "$ROOT/streams-app/target/taskstate.jar" "$ROOT/streams-app/target/lib" "$WORK/server/"
cp -r "$ROOT/benchmarks/target/taskstate-benchmarks.jar" "$ROOT/benchmarks/target/lib" "$WORK/bench/"
SERVER_JAR="$WORK/server/taskstate.jar"
BENCH_JAR="$WORK/bench/taskstate-benchmarks.jar"

# ---- start the server
HTTP_PORT="$(pick_port "${HTTP_PORT:-18080}")"
KAFKA_PORT="$(pick_port "${KAFKA_PORT:-19092}" "$HTTP_PORT")"
CONTROLLER_PORT="$(pick_port "${CONTROLLER_PORT:-19093}" "$HTTP_PORT" "$KAFKA_PORT")"
BASE_URL="http://127.0.0.1:$HTTP_PORT"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

# The server reads TASKSTATE_* and KAFKA_* from its environment (KAFKA_BOOTSTRAP_SERVERS would skip
# the embedded broker); start it without any, so only the flags below configure it.
UNSET=()
while IFS='=' read -r name _; do
  [[ "$name" == TASKSTATE_* || "$name" == KAFKA_* ]] && UNSET+=(-u "$name")
done < <(env)

log "starting the server: http $BASE_URL, kafka $BOOTSTRAP, controller $CONTROLLER_PORT, data $WORK/data"
# shellcheck disable=SC2086
env "${UNSET[@]}" java $SERVER_JAVA_OPTS -jar "$SERVER_JAR" serve --data-dir "$WORK/data" --http-port "$HTTP_PORT" \
  --set "TASKSTATE_EMBEDDED_KAFKA_PORT=$KAFKA_PORT" --set "TASKSTATE_EMBEDDED_CONTROLLER_PORT=$CONTROLLER_PORT" \
  > "$WORK/server.log" 2>&1 &
SERVER_PID=$!

deadline=$(( SECONDS + READY_TIMEOUT_SECONDS ))
until curl -fsS -o /dev/null "$BASE_URL/health/ready" 2>/dev/null; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "the server exited before it was ready; last lines of $WORK/server.log:"; tail -n 30 "$WORK/server.log" >&2; exit 1
  fi
  if (( SECONDS >= deadline )); then
    log "the server was not ready within ${READY_TIMEOUT_SECONDS} s; last lines of $WORK/server.log:"; tail -n 30 "$WORK/server.log" >&2; exit 1
  fi
  sleep 0.5
done
log "server ready (pid $SERVER_PID)"

bench() { # class, args...
  local cls="$1"; shift
  # shellcheck disable=SC2086
  java $BENCH_JAVA_OPTS -cp "$BENCH_JAR" "io.taskstate.benchmarks.$cls" --bootstrap "$BOOTSTRAP" --base-url "$BASE_URL" "$@"
}

# ---- the GET targets, created once and shared by every GET run and wrk
IDS="$WORK/ids.txt"
log "creating $GET_TASKS tasks to read"
bench GetThroughput --tasks "$GET_TASKS" --ids-file "$IDS" --seed-only 2>> "$WORK/bench.log"

WRK_SCRIPT="$WORK/get.lua"
if [[ "$USE_WRK" == auto ]]; then
  if command -v wrk > /dev/null; then USE_WRK=yes; else USE_WRK=no; log "wrk not found; skipping the wrk runs (apt-get install -y wrk)"; fi
fi
if [[ "$USE_WRK" == yes ]]; then
  {
    echo "-- generated by benchmarks/run.sh: GET a random one of the benchmark's task ids"
    printf 'local ids = {'; paste -sd, "$IDS" | tr -d '\n'; echo '}'
    cat <<'LUA'
local paths = {}
for i, id in ipairs(ids) do paths[i] = "/api/v1/tasks/" .. id end
local n = #paths
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)

request = function()
  return wrk.format("GET", paths[math.random(n)], { ["Accept"] = "application/json" })
end

done = function(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "bench=get_throughput tool=wrk run=%s threads=%s connections=%s ids=%d duration_s=%.1f n=%d errors=%d non2xx=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f\n",
    os.getenv("BENCH_RUN") or "1", os.getenv("BENCH_THREADS") or "?", os.getenv("BENCH_CONNECTIONS") or "?", n,
    seconds, summary.requests, e.connect + e.read + e.write + e.timeout, e.status, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000))
end
LUA
  } > "$WRK_SCRIPT"
fi

log "load average before: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc)"
# Runs interleave the benchmarks, so a noisy minute on this shared machine spreads over all of them.
for (( r = 1; r <= RUNS; r++ )); do
  log "run $r/$RUNS: CreateLatency (warm-up $CREATE_WARMUP, measure $CREATE_N)"
  bench CreateLatency --run "$r" --warmup "$CREATE_WARMUP" --n "$CREATE_N" --max-seconds "$CREATE_MAX_SECONDS" \
    --samples-out "$WORK/create-samples-run$r.txt" 2>> "$WORK/bench.log" | tee -a "$RESULTS"

  log "run $r/$RUNS: GetThroughput ($GET_THREADS threads, ${GET_WARMUP_SECONDS} s warm-up, ${GET_SECONDS} s measured)"
  bench GetThroughput --run "$r" --ids-file "$IDS" --threads "$GET_THREADS" \
    --warmup-seconds "$GET_WARMUP_SECONDS" --seconds "$GET_SECONDS" 2>> "$WORK/bench.log" | tee -a "$RESULTS"

  if [[ "$USE_WRK" == yes ]]; then
    log "run $r/$RUNS: wrk -t$WRK_THREADS -c$GET_THREADS (${GET_WARMUP_SECONDS} s warm-up, ${GET_SECONDS} s measured)"
    BENCH_RUN="$r" BENCH_THREADS="$WRK_THREADS" BENCH_CONNECTIONS="$GET_THREADS" \
      wrk -t"$WRK_THREADS" -c"$GET_THREADS" -d"${GET_WARMUP_SECONDS}s" -s "$WRK_SCRIPT" "$BASE_URL" > /dev/null
    BENCH_RUN="$r" BENCH_THREADS="$WRK_THREADS" BENCH_CONNECTIONS="$GET_THREADS" \
      wrk -t"$WRK_THREADS" -c"$GET_THREADS" -d"${GET_SECONDS}s" --latency -s "$WRK_SCRIPT" "$BASE_URL" \
      > "$WORK/wrk-run$r.txt"
    grep '^bench=' "$WORK/wrk-run$r.txt" | tee -a "$RESULTS"
  fi
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

stop_server

echo
echo "==== taskstate benchmarks: $RUNS runs, median and spread (min - max) across runs; $(nproc) cores"
echo "     create: sequential SDK createTask, $CREATE_WARMUP warm-up + $CREATE_N measured per run"
echo "     get: GET /api/v1/tasks/{id} over $(wc -l < "$IDS") ids, $GET_THREADS keep-alive connections, ${GET_SECONDS} s after ${GET_WARMUP_SECONDS} s warm-up"
echo
java -cp "$BENCH_JAR" io.taskstate.benchmarks.Summarize "$RESULTS"
echo "raw result lines: $RESULTS; latency bands and warm-up details: $WORK/bench.log"
echo "every create (start_ms latency_ms): $WORK/create-samples-run*.txt; wrk output: $WORK/wrk-run*.txt; server log: $WORK/server.log"
