#!/usr/bin/env bash
# Builds taskstate, starts a server on a fresh data dir with non-default ports, runs each benchmark
# RUNS times, stops the server and prints the median and spread (min - max) of every figure. The
# expiry benchmark needs a short instance timeout, so it runs last, EXPIRY_RUNS times, against a
# second server started afterwards on its own fresh data dir.
#
#   benchmarks/run.sh [--runs N] [--expiry-runs N] [--only LIST] [--skip LIST] [--skip-build] [--no-wrk] [--keep]
#                     [--smoke] [--json FILE]
#
# LIST is comma-separated out of create, get, wrk, page, pipelined, kafka, javalin, claim, heartbeat,
# expiry, sizes (default: all; --no-wrk = --skip wrk,page,javalin). kafka runs Kafka's own
# ProducerPerformance and ConsumerPerformance on the same broker with the create command's record
# size, and EndToEndLatency (one record produced, then consumed: the round trip a create makes
# twice); javalin runs a trivial Javalin endpoint with the server's JVM settings, loaded like `wrk`;
# sizes seeds a second server to each of SIZES tasks and measures memory, GET and the filtered first
# page at each, then restart to ready with local state and restore from scratch (state dir deleted).
# --smoke: one short run of everything with tiny settings (seconds each; CI runs it so it never rots).
# --json FILE: also write the summary (median, min, max of every figure, the ratios) as JSON.
# Settings (environment): RUNS (5), CREATE_WARMUP (2000), CREATE_N (5000), CREATE_MAX_SECONDS (180),
# GET_TASKS (1000), GET_THREADS (16), GET_WARMUP_SECONDS (5), GET_SECONDS (20), WRK_THREADS (2),
# HB_INSTANCES (1000), HB_THREADS (1), HB_IN_FLIGHT (1000), HB_WARMUP_SECONDS (5), HB_SECONDS (20),
# HB_RATE (0: unpaced), PIPE_CLIENTS (16), PIPE_IN_FLIGHT (64), PIPE_WARMUP_SECONDS (5), PIPE_SECONDS (20),
# KAFKA_RECORDS (500000), CLAIM_WORKERS (16), CLAIM_TASKS (3000), SIZES (10000,100000,1000000),
# SIZE_SECONDS (10), EXPIRY_RUNS (3), EXPIRY_WORKERS (50), EXPIRY_ROUNDS (3), EXPIRY_TIMEOUT_MS (2000),
# EXPIRY_STAGGER_MS (5000), EXPIRY_POLL_MS (10),
# HTTP_PORT / KAFKA_PORT / CONTROLLER_PORT (18080 / 19092 / 19093, or free random ones if taken),
# READY_TIMEOUT_SECONDS (180), SERVER_WARMUP (30000), BENCH_JAVA_OPTS (-XX:TieredStopAtLevel=1), SERVER_JAVA_OPTS.
# Warm-up: before anything is measured, SERVER_WARMUP pipelined creates go through the server, unmeasured: on
# two cores its C2 compiler is still busy a minute after the start, and figures taken meanwhile measure the JIT.
# The load generators (and Kafka's perf tools) run C1 only by default (BENCH_JAVA_OPTS): a fresh generator's C2
# compiler otherwise takes half of its CPU for its first half minute, on the cores the server needs.
# Everything (server logs, raw result lines, per-run logs) lands in a fresh /tmp/taskstate-bench.* dir.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-5}"
EXPIRY_RUNS="${EXPIRY_RUNS:-3}"
BUILD=1
USE_WRK=auto
KEEP=0
ALL_BENCHES="create,get,wrk,page,pipelined,kafka,javalin,claim,heartbeat,expiry,sizes"
SMOKE=0
JSON_OUT=""
ONLY="$ALL_BENCHES"
SKIP=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --runs=*) RUNS="${1#*=}"; shift ;;
    --expiry-runs) EXPIRY_RUNS="$2"; shift 2 ;;
    --expiry-runs=*) EXPIRY_RUNS="${1#*=}"; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    --only=*) ONLY="${1#*=}"; shift ;;
    --skip) SKIP="$SKIP,$2"; shift 2 ;;
    --skip=*) SKIP="$SKIP,${1#*=}"; shift ;;
    --skip-build) BUILD=0; shift ;;
    --no-wrk) SKIP="$SKIP,wrk,page,javalin"; shift ;;
    --smoke) SMOKE=1; shift ;;
    --json) JSON_OUT="$2"; shift 2 ;;
    --json=*) JSON_OUT="${1#*=}"; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for b in ${ONLY//,/ } ${SKIP//,/ }; do
  [[ ",$ALL_BENCHES," == *",$b,"* ]] || { echo "unknown benchmark '$b': pick out of $ALL_BENCHES" >&2; exit 2; }
done
selected() { [[ ",$ONLY," == *",$1,"* && ",$SKIP," != *",$1,"* ]]; }
MAIN_SERVER=0
for b in create get wrk page pipelined kafka javalin claim heartbeat; do if selected "$b"; then MAIN_SERVER=1; fi; done
if (( SMOKE )); then
  # every scenario once, each for seconds: proves the benchmark still runs, measures nothing
  RUNS=1 EXPIRY_RUNS=1
  : "${CREATE_WARMUP:=50}" "${CREATE_N:=200}" "${GET_TASKS:=200}" "${GET_WARMUP_SECONDS:=1}" "${GET_SECONDS:=2}"
  : "${HB_INSTANCES:=50}" "${HB_IN_FLIGHT:=50}" "${HB_WARMUP_SECONDS:=1}" "${HB_SECONDS:=2}"
  : "${PIPE_CLIENTS:=2}" "${PIPE_IN_FLIGHT:=8}" "${PIPE_WARMUP_SECONDS:=1}" "${PIPE_SECONDS:=2}"
  : "${KAFKA_RECORDS:=5000}" "${CLAIM_WORKERS:=2}" "${CLAIM_TASKS:=40}" "${SIZES:=500,1000}" "${SIZE_SECONDS:=2}"
  : "${EXPIRY_WORKERS:=5}" "${EXPIRY_ROUNDS:=1}" "${EXPIRY_STAGGER_MS:=1000}" "${SERVER_WARMUP:=100}"
fi

CREATE_WARMUP="${CREATE_WARMUP:-2000}"
CREATE_N="${CREATE_N:-5000}"
CREATE_MAX_SECONDS="${CREATE_MAX_SECONDS:-180}"
GET_TASKS="${GET_TASKS:-1000}"
GET_THREADS="${GET_THREADS:-16}"
GET_WARMUP_SECONDS="${GET_WARMUP_SECONDS:-5}"
GET_SECONDS="${GET_SECONDS:-20}"
WRK_THREADS="${WRK_THREADS:-2}"
HB_INSTANCES="${HB_INSTANCES:-1000}"
HB_THREADS="${HB_THREADS:-1}"
HB_IN_FLIGHT="${HB_IN_FLIGHT:-1000}"
HB_WARMUP_SECONDS="${HB_WARMUP_SECONDS:-5}"
HB_SECONDS="${HB_SECONDS:-20}"
HB_RATE="${HB_RATE:-0}"
EXPIRY_WORKERS="${EXPIRY_WORKERS:-50}"
EXPIRY_ROUNDS="${EXPIRY_ROUNDS:-3}"
EXPIRY_TIMEOUT_MS="${EXPIRY_TIMEOUT_MS:-2000}"
EXPIRY_STAGGER_MS="${EXPIRY_STAGGER_MS:-5000}"
EXPIRY_POLL_MS="${EXPIRY_POLL_MS:-10}"
PIPE_CLIENTS="${PIPE_CLIENTS:-16}"
PIPE_IN_FLIGHT="${PIPE_IN_FLIGHT:-64}"
PIPE_WARMUP_SECONDS="${PIPE_WARMUP_SECONDS:-5}"
PIPE_SECONDS="${PIPE_SECONDS:-20}"
KAFKA_RECORDS="${KAFKA_RECORDS:-500000}"
CLAIM_WORKERS="${CLAIM_WORKERS:-16}"
CLAIM_TASKS="${CLAIM_TASKS:-3000}"
SIZES="${SIZES:-10000,100000,1000000}"
SIZE_SECONDS="${SIZE_SECONDS:-10}"
if [[ "$HB_RATE" == 0 ]]; then HB_RATE_LABEL="unpaced"; else HB_RATE_LABEL="$HB_RATE/s"; fi
READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-180}"
SERVER_WARMUP="${SERVER_WARMUP:-30000}"
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS--XX:TieredStopAtLevel=1}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:-}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# A result line with the load averages around one benchmark run, so the summary shows them too: the
# 1-minute figure at the start mostly reflects the run before; at the end, this run (its own load included).
LOAD_START=""
load_start() { LOAD_START="$(cut -d' ' -f1 /proc/loadavg)"; }
load_end() { # benchmark, run
  local l1 l5 l15 _
  read -r l1 l5 l15 _ < /proc/loadavg
  echo "bench=load_average tool=$1 run=$2 load1_start=$LOAD_START load1_end=$l1 load5_end=$l5 load15_end=$l15" >> "$RESULTS"
}

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
    rm -rf "$WORK/data" "$WORK/data-expiry" "$WORK/data-sizes" "$WORK/server" "$WORK/bench"   # broker logs, state stores, jar copies; results and logs stay
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

# ---- the server(s)
# The server reads TASKSTATE_* and KAFKA_* from its environment (KAFKA_BOOTSTRAP_SERVERS would skip
# the embedded broker); start it without any, so only the flags below configure it.
UNSET=()
while IFS='=' read -r name _; do
  [[ "$name" == TASKSTATE_* || "$name" == KAFKA_* ]] && UNSET+=(-u "$name")
done < <(env)

start_server() { # data dir, log file, [--keep-data], extra --set settings...
  local data="$1" logfile="$2"; shift 2
  local sets=() s attempt keep=0
  if [[ "${1:-}" == --keep-data ]]; then keep=1; shift; fi
  for s in "$@"; do sets+=(--set "$s"); done
  # A server that exits before it is ready is started again on a fresh data dir, up to 3 times: on a
  # loaded machine the first start of an empty broker sometimes fails describing the topics it just
  # created ("This server does not host this topic-partition").
  for attempt in 1 2 3; do
    HTTP_PORT="$(pick_port "${HTTP_PORT:-18080}")"
    KAFKA_PORT="$(pick_port "${KAFKA_PORT:-19092}" "$HTTP_PORT")"
    CONTROLLER_PORT="$(pick_port "${CONTROLLER_PORT:-19093}" "$HTTP_PORT" "$KAFKA_PORT")"
    BASE_URL="http://127.0.0.1:$HTTP_PORT"
    BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
    log "starting the server: http $BASE_URL, kafka $BOOTSTRAP, controller $CONTROLLER_PORT, data $data${*:+, $*}"
    # shellcheck disable=SC2086
    env "${UNSET[@]}" java $SERVER_JAVA_OPTS -jar "$SERVER_JAR" serve --data-dir "$data" --http-port "$HTTP_PORT" \
      --set "TASKSTATE_EMBEDDED_KAFKA_PORT=$KAFKA_PORT" --set "TASKSTATE_EMBEDDED_CONTROLLER_PORT=$CONTROLLER_PORT" \
      ${sets[@]+"${sets[@]}"} > "$logfile" 2>&1 &
    SERVER_PID=$!

    local deadline=$(( SECONDS + READY_TIMEOUT_SECONDS ))
    until curl -fsS -o /dev/null "$BASE_URL/health/ready" 2>/dev/null; do
      if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        log "the server exited before it was ready (attempt $attempt); last lines of $logfile:"; tail -n 5 "$logfile" >&2
        if (( attempt == 3 || keep )); then exit 1; fi
        mv "$logfile" "$logfile.failed-$attempt"
        rm -rf "$data"
        continue 2
      fi
      if (( SECONDS >= deadline )); then
        log "the server was not ready within ${READY_TIMEOUT_SECONDS} s; last lines of $logfile:"; tail -n 30 "$logfile" >&2; exit 1
      fi
      sleep 0.1
    done
    log "server ready (pid $SERVER_PID)"
    return 0
  done
}

bench() { # class, args...
  local cls="$1"; shift
  # shellcheck disable=SC2086
  java $BENCH_JAVA_OPTS -cp "$BENCH_JAR" "io.taskstate.benchmarks.$cls" --bootstrap "$BOOTSTRAP" --base-url "$BASE_URL" "$@"
}

# ---- wrk: GET and first-page figures for taskstate, the same load for the trivial Javalin baseline
WRK_SCRIPT="$WORK/wrk.lua"
if [[ "$USE_WRK" == auto ]]; then
  if command -v wrk > /dev/null; then USE_WRK=yes; else USE_WRK=no; log "wrk not found; skipping the wrk, page, javalin and sizes runs (apt-get install -y wrk)"; fi
fi
if [[ "$USE_WRK" == no ]]; then SKIP="$SKIP,wrk,page,javalin,sizes"; fi
# The script GETs BENCH_PATH, or a random id out of BENCH_IDS (a file of task ids) under /api/v1/tasks/,
# and prints one result line named BENCH_NAME.
cat > "$WRK_SCRIPT" <<'LUA'
-- generated by benchmarks/run.sh
local paths = {}
local fixed = os.getenv("BENCH_PATH")
if fixed and fixed ~= "" then
  paths[1] = fixed
else
  for line in io.lines(os.getenv("BENCH_IDS")) do
    if line ~= "" then paths[#paths + 1] = "/api/v1/tasks/" .. line end
  end
end
local n = #paths
math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)

request = function()
  return wrk.format("GET", paths[math.random(n)], { ["Accept"] = "application/json" })
end

done = function(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "bench=%s tool=wrk run=%s threads=%s connections=%s ids=%d duration_s=%.1f n=%d errors=%d non2xx=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f\n",
    os.getenv("BENCH_NAME"), os.getenv("BENCH_RUN") or "1", os.getenv("BENCH_THREADS") or "?", os.getenv("BENCH_CONNECTIONS") or "?", n,
    seconds, summary.requests, e.connect + e.read + e.write + e.timeout, e.status, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000))
end
LUA

run_wrk() { # name, run, base url, ids file or "", path or "", warm-up s, measured s
  local name="$1" run="$2" url="$3" ids="$4" path="$5" warm="$6" secs="$7"
  local env_=(BENCH_NAME="$name" BENCH_RUN="$run" BENCH_THREADS="$WRK_THREADS" BENCH_CONNECTIONS="$GET_THREADS"
              BENCH_IDS="$ids" BENCH_PATH="$path")
  load_start
  env "${env_[@]}" wrk -t"$WRK_THREADS" -c"$GET_THREADS" -d"${warm}s" -s "$WRK_SCRIPT" "$url" > /dev/null
  env "${env_[@]}" wrk -t"$WRK_THREADS" -c"$GET_THREADS" -d"${secs}s" --latency -s "$WRK_SCRIPT" "$url" > "$WORK/wrk-$name-run$run.txt"
  grep '^bench=' "$WORK/wrk-$name-run$run.txt" | tee -a "$RESULTS"
  load_end "$name" "$run"
}

PAGE_PATH="/api/v1/tasks?status=pending&limit=100"
VALUE_BYTES=224   # a create command's record value; PipelinedCommands reports the exact figure

if (( MAIN_SERVER )); then
  start_server "$WORK/data" "$WORK/server.log"
  # ---- the GET targets, created once and shared by every GET run and wrk
  IDS="$WORK/ids.txt"
  if selected get || selected wrk || selected page; then
    log "creating $GET_TASKS tasks to read"
    bench GetThroughput --tasks "$GET_TASKS" --ids-file "$IDS" --seed-only 2>> "$WORK/bench.log"
  fi
  if selected kafka; then
    java -cp "$BENCH_JAR" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create \
      --topic taskstate-bench-raw --partitions 6 --replication-factor 1 >> "$WORK/bench.log" 2>&1
    java -cp "$BENCH_JAR" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create \
      --topic taskstate-bench-e2e --partitions 1 --replication-factor 1 >> "$WORK/bench.log" 2>&1
  fi
  if selected javalin; then
    JAVALIN_PORT="$(pick_port 18090 "$HTTP_PORT" "$KAFKA_PORT" "$CONTROLLER_PORT")"
    # shellcheck disable=SC2086
    java $SERVER_JAVA_OPTS -cp "$BENCH_JAR" io.taskstate.benchmarks.TrivialJavalin --port "$JAVALIN_PORT" > "$WORK/javalin.log" 2>&1 &
    JAVALIN_PID=$!
    until curl -fsS -o /dev/null "http://127.0.0.1:$JAVALIN_PORT/api/v1/tasks/1" 2>/dev/null; do
      kill -0 "$JAVALIN_PID" 2>/dev/null || { log "the trivial Javalin server died:"; tail -n 20 "$WORK/javalin.log" >&2; exit 1; }
      sleep 0.2
    done
  fi

  log "warming the server up: $SERVER_WARMUP pipelined creates (completed tasks: nothing left to claim), not measured; load $(loadavg)"
  bench PipelinedCommands --run 0 --clients "$PIPE_CLIENTS" --in-flight "$PIPE_IN_FLIGHT" --count "$SERVER_WARMUP" --status completed \
    >> "$WORK/bench.log" 2>&1
  log "load average before: $(loadavg); cores: $(nproc)"
  # Runs interleave the benchmarks, so a noisy minute on this shared machine spreads over all of them.
  for (( r = 1; r <= RUNS; r++ )); do
    if selected create; then
      log "run $r/$RUNS: CreateLatency (warm-up $CREATE_WARMUP, measure $CREATE_N); load $(loadavg)"
      load_start
      bench CreateLatency --run "$r" --warmup "$CREATE_WARMUP" --n "$CREATE_N" --max-seconds "$CREATE_MAX_SECONDS" \
        --samples-out "$WORK/create-samples-run$r.txt" 2>> "$WORK/bench.log" | tee -a "$RESULTS"
      load_end create "$r"
    fi

    if selected pipelined; then
      log "run $r/$RUNS: PipelinedCommands ($PIPE_CLIENTS clients x $PIPE_IN_FLIGHT in flight, ${PIPE_WARMUP_SECONDS} s warm-up, ${PIPE_SECONDS} s measured); load $(loadavg)"
      load_start
      bench PipelinedCommands --run "$r" --clients "$PIPE_CLIENTS" --in-flight "$PIPE_IN_FLIGHT" \
        --warmup-seconds "$PIPE_WARMUP_SECONDS" --seconds "$PIPE_SECONDS" 2>> "$WORK/bench.log" | tee -a "$RESULTS"
      load_end pipelined "$r"
      VALUE_BYTES="$(grep '^bench=pipelined_commands' "$RESULTS" | tail -n 1 | sed -E 's/.*value_bytes=([0-9]+).*/\1/')"
    fi

    if selected kafka; then
      log "run $r/$RUNS: Kafka ProducerPerformance and ConsumerPerformance ($KAFKA_RECORDS records of $VALUE_BYTES bytes); load $(loadavg)"
      load_start
      java $BENCH_JAVA_OPTS -cp "$BENCH_JAR" org.apache.kafka.tools.ProducerPerformance --topic taskstate-bench-raw \
        --num-records "$KAFKA_RECORDS" --record-size "$VALUE_BYTES" --throughput -1 \
        --producer-props "bootstrap.servers=$BOOTSTRAP" acks=all 2>> "$WORK/bench.log" | tail -n 1 \
        | awk -v run="$r" -v size="$VALUE_BYTES" '{ gsub(/[(),]/, " "); print "bench=kafka_producer run=" run " record_bytes=" size " records=" $1 " records_per_s=" $4 " mb_per_s=" $6 " avg_ms=" $8 " max_ms=" $12 " p50_ms=" $16 " p95_ms=" $19 " p99_ms=" $22 }' \
        | tee -a "$RESULTS"
      load_end kafka_producer "$r"
      load_start
      java $BENCH_JAVA_OPTS -cp "$BENCH_JAR" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOTSTRAP" \
        --topic taskstate-bench-raw --messages "$KAFKA_RECORDS" --timeout 60000 2>> "$WORK/bench.log" | tail -n 1 \
        | awk -F', ' -v run="$r" '{ print "bench=kafka_consumer run=" run " records=" $5 " records_per_s=" $6 " mb_per_s=" $4 " fetch_records_per_s=" $10 }' \
        | tee -a "$RESULTS"
      load_end kafka_consumer "$r"
      # one record at a time, produced and then consumed: the round trip through the broker that a
      # create makes twice (command in, reply out), the floor of one-at-a-time create latency
      load_start
      java $BENCH_JAVA_OPTS -cp "$BENCH_JAR" org.apache.kafka.tools.EndToEndLatency "$BOOTSTRAP" taskstate-bench-e2e \
        "$CREATE_N" all "$VALUE_BYTES" 2>> "$WORK/bench.log" \
        | awk -v run="$r" -v n="$CREATE_N" '/^Avg latency/ { avg = $3 } /^Percentiles/ { gsub(/,/, ""); p50 = $4; p99 = $7; p999 = $10 }
            END { print "bench=kafka_end_to_end run=" run " records=" n " avg_ms=" avg " p50_ms=" p50 " p99_ms=" p99 " p999_ms=" p999 }' \
        | tee -a "$RESULTS"
      load_end kafka_end_to_end "$r"
    fi

    if selected get; then
      log "run $r/$RUNS: GetThroughput ($GET_THREADS threads, ${GET_WARMUP_SECONDS} s warm-up, ${GET_SECONDS} s measured); load $(loadavg)"
      load_start
      bench GetThroughput --run "$r" --ids-file "$IDS" --threads "$GET_THREADS" \
        --warmup-seconds "$GET_WARMUP_SECONDS" --seconds "$GET_SECONDS" 2>> "$WORK/bench.log" | tee -a "$RESULTS"
      load_end get "$r"
    fi

    if selected wrk; then
      log "run $r/$RUNS: wrk -t$WRK_THREADS -c$GET_THREADS GET by id (${GET_WARMUP_SECONDS} s warm-up, ${GET_SECONDS} s measured); load $(loadavg)"
      run_wrk get_throughput "$r" "$BASE_URL" "$IDS" "" "$GET_WARMUP_SECONDS" "$GET_SECONDS"
    fi
    if selected javalin; then
      log "run $r/$RUNS: wrk -t$WRK_THREADS -c$GET_THREADS against the trivial Javalin endpoint; load $(loadavg)"
      run_wrk javalin_baseline "$r" "http://127.0.0.1:$JAVALIN_PORT" "$IDS" "" "$GET_WARMUP_SECONDS" "$GET_SECONDS"
    fi
    if selected page; then
      log "run $r/$RUNS: wrk -t$WRK_THREADS -c$GET_THREADS GET $PAGE_PATH; load $(loadavg)"
      run_wrk page_throughput "$r" "$BASE_URL" "" "$PAGE_PATH" "$GET_WARMUP_SECONDS" "$GET_SECONDS"
    fi

    if selected claim; then
      log "run $r/$RUNS: ClaimThroughput ($CLAIM_WORKERS workers, $CLAIM_TASKS tasks); load $(loadavg)"
      load_start
      bench ClaimThroughput --run "$r" --workers "$CLAIM_WORKERS" --tasks "$CLAIM_TASKS" 2>> "$WORK/bench.log" | tee -a "$RESULTS"
      load_end claim "$r"
    fi

    if selected heartbeat; then
      # The same instance ids every run, so the instance count stays fixed; with the default 5 minute
      # timeout they never expire while the runs go on.
      log "run $r/$RUNS: HeartbeatThroughput ($HB_INSTANCES ids, $HB_THREADS threads, $HB_IN_FLIGHT in flight, rate $HB_RATE_LABEL, ${HB_WARMUP_SECONDS} s warm-up, ${HB_SECONDS} s measured, then the drain); load $(loadavg)"
      load_start
      bench HeartbeatThroughput --run "$r" --instances "$HB_INSTANCES" --threads "$HB_THREADS" --in-flight "$HB_IN_FLIGHT" \
        --rate "$HB_RATE" --warmup-seconds "$HB_WARMUP_SECONDS" --seconds "$HB_SECONDS" 2>> "$WORK/bench.log" | tee -a "$RESULTS"
      load_end heartbeat "$r"
    fi
  done
  log "load average after: $(loadavg)"

  if [[ -n "${JAVALIN_PID:-}" ]]; then kill -TERM "$JAVALIN_PID" 2>/dev/null || true; wait "$JAVALIN_PID" 2>/dev/null || true; fi
  stop_server
fi

# ---- store sizes: seed one server up to each size; memory, GET and first page at each; then restart and restore
memory_line() { # name
  local rss heap rss_gc heap_gc
  rss=$(( $(ps -o rss= -p "$SERVER_PID") / 1024 ))
  heap=$(jcmd "$SERVER_PID" GC.heap_info | grep -oE 'used [0-9]+K' | head -n 1 | grep -oE '[0-9]+')
  jcmd "$SERVER_PID" GC.run > /dev/null
  rss_gc=$(( $(ps -o rss= -p "$SERVER_PID") / 1024 ))
  heap_gc=$(jcmd "$SERVER_PID" GC.heap_info | grep -oE 'used [0-9]+K' | head -n 1 | grep -oE '[0-9]+')
  echo "bench=$1 run=1 rss_mib=$rss heap_used_mib=$(( heap / 1024 )) rss_after_gc_mib=$rss_gc heap_used_after_gc_mib=$(( heap_gc / 1024 )) state_dir_mib=$(du -sm "$SIZES_DATA/streams" | cut -f1)" | tee -a "$RESULTS"
}
time_ready() { # name, run, tasks, data dir, log: starts the server on the data dir, times start to ready
  local t0 t1
  t0=$(date +%s%N)
  start_server "$4" "$5" --keep-data
  t1=$(date +%s%N)
  local s; s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  echo "bench=$1 run=$2 tasks=$3 ready_s=$s tasks_per_s=$(awk -v n="$3" -v s="$s" 'BEGIN { printf "%.0f", n / s }')" | tee -a "$RESULTS"
}
if selected sizes; then
  SIZES_DATA="$WORK/data-sizes"
  start_server "$SIZES_DATA" "$WORK/server-sizes.log"
  seeded=0
  size=0
  for size in ${SIZES//,/ }; do
    log "sizes: seeding to $size tasks ($(( size - seeded )) creates, $PIPE_CLIENTS clients x $PIPE_IN_FLIGHT in flight); load $(loadavg)"
    load_start
    bench PipelinedCommands --run "$size" --count "$(( size - seeded ))" --clients "$PIPE_CLIENTS" --in-flight "$PIPE_IN_FLIGHT" \
      --ids-out "$WORK/ids-$size.txt" --ids-sample 1000 2>> "$WORK/bench.log" | sed "s/^bench=seed /bench=seed_to_$size /" | tee -a "$RESULTS"
    load_end "seed_to_$size" 1
    seeded=$size
    memory_line "memory_at_$size"
    for (( r = 1; r <= RUNS; r++ )); do
      run_wrk "get_at_$size" "$r" "$BASE_URL" "$WORK/ids-$size.txt" "" 2 "$SIZE_SECONDS"
      run_wrk "page_at_$size" "$r" "$BASE_URL" "" "$PAGE_PATH" 2 "$SIZE_SECONDS"
      run_wrk "stats_at_$size" "$r" "$BASE_URL" "" "/api/v1/stats" 2 "$SIZE_SECONDS"
    done
  done
  for (( r = 1; r <= RUNS; r++ )); do
    log "sizes: restart $r/$RUNS with local state ($size tasks)"
    stop_server
    time_ready "restart_at_$size" "$r" "$size" "$SIZES_DATA" "$WORK/server-sizes-restart$r.log"
  done
  for (( r = 1; r <= RUNS; r++ )); do
    log "sizes: restore $r/$RUNS from scratch ($size tasks, state dir deleted)"
    stop_server
    rm -rf "$SIZES_DATA/streams"
    time_ready "restore_at_$size" "$r" "$size" "$SIZES_DATA" "$WORK/server-sizes-restore$r.log"
  done
  stop_server
fi

# ---- expiry, against its own server with a short instance timeout
EXPIRY_TIMEOUT="$(printf 'PT%d.%03dS' $(( EXPIRY_TIMEOUT_MS / 1000 )) $(( EXPIRY_TIMEOUT_MS % 1000 )))"
if selected expiry; then
  start_server "$WORK/data-expiry" "$WORK/server-expiry.log" "TASKSTATE_INSTANCE_TIMEOUT=$EXPIRY_TIMEOUT"
  # The first transactions of a fresh app are slow (the broker answers CONCURRENT_TRANSACTIONS for a
  # while); a small discarded round first keeps that out of run 1.
  log "expiry: warm-up round of 10 workers, discarded"
  bench ExpiryDelay --run warmup --workers 10 --rounds 1 --timeout-ms "$EXPIRY_TIMEOUT_MS" --stagger-ms 1000 \
    --poll-ms "$EXPIRY_POLL_MS" >> "$WORK/bench.log" 2>&1
  log "expiry: load average before: $(loadavg)"
  for (( r = 1; r <= EXPIRY_RUNS; r++ )); do
    log "expiry run $r/$EXPIRY_RUNS: ExpiryDelay ($EXPIRY_ROUNDS rounds of $EXPIRY_WORKERS workers, timeout $EXPIRY_TIMEOUT, poll ${EXPIRY_POLL_MS} ms); load $(loadavg)"
    load_start
    bench ExpiryDelay --run "$r" --workers "$EXPIRY_WORKERS" --rounds "$EXPIRY_ROUNDS" --timeout-ms "$EXPIRY_TIMEOUT_MS" \
      --stagger-ms "$EXPIRY_STAGGER_MS" --poll-ms "$EXPIRY_POLL_MS" 2>> "$WORK/bench.log" | tee -a "$RESULTS"
    load_end expiry "$r"
  done
  log "expiry: load average after: $(loadavg)"
  stop_server
fi

echo
echo "==== taskstate benchmarks: $RUNS runs (expiry: $EXPIRY_RUNS), median and spread (min - max) across runs"
echo "     machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(java -version 2>&1 | head -n 1); broker, server and load generators on this one machine"
(( MAIN_SERVER )) && echo "     warm-up: $SERVER_WARMUP pipelined creates through the server before anything is measured; load generators: java ${BENCH_JAVA_OPTS:-(default JIT)}"
selected create && echo "     create: sequential SDK createTask, $CREATE_WARMUP warm-up + $CREATE_N measured per run"
selected pipelined && echo "     pipelined: $PIPE_CLIENTS SDK clients x $PIPE_IN_FLIGHT creates in flight, ${PIPE_SECONDS} s after ${PIPE_WARMUP_SECONDS} s warm-up"
selected kafka && echo "     kafka: ProducerPerformance (acks=all) then ConsumerPerformance, $KAFKA_RECORDS records of $VALUE_BYTES bytes (a create command's size), 6 partitions, same broker; EndToEndLatency: $CREATE_N records one at a time, produce then consume (whole ms)"
if selected get || selected wrk || selected javalin; then
  echo "     get: GET /api/v1/tasks/{id} over $(wc -l < "$IDS") ids, $GET_THREADS keep-alive connections, ${GET_SECONDS} s after ${GET_WARMUP_SECONDS} s warm-up; javalin_baseline: the same against a trivial Javalin endpoint"
fi
selected page && echo "     page: GET $PAGE_PATH, $GET_THREADS keep-alive connections (wrk)"
selected claim && echo "     claim: $CLAIM_WORKERS workers claim_next + complete until $CLAIM_TASKS tasks are done"
if selected heartbeat; then
  echo "     heartbeat: SDK beat() round-robin over $HB_INSTANCES ids, $HB_IN_FLIGHT in flight, rate $HB_RATE_LABEL, ${HB_SECONDS} s after ${HB_WARMUP_SECONDS} s warm-up; drain = last ack until the app shows every last heartbeat"
fi
if selected expiry; then
  echo "     expiry: TASKSTATE_INSTANCE_TIMEOUT=$EXPIRY_TIMEOUT, $EXPIRY_ROUNDS rounds of $EXPIRY_WORKERS silent workers per run, getTask every ${EXPIRY_POLL_MS} ms from the deadline"
fi
selected sizes && echo "     sizes: one server seeded to $SIZES tasks (a quarter pending); memory, get_at_N, page_at_N and stats_at_N (GET /api/v1/stats) at each size, ${SIZE_SECONDS} s wrk runs; restart and restore at the largest"
echo "     load average now: $(loadavg); load_average / X: the load averages around each run of X (its own load included)"
echo
java -cp "$BENCH_JAR" io.taskstate.benchmarks.Summarize ${JSON_OUT:+--json "$JSON_OUT"} "$RESULTS"
echo "raw result lines: $RESULTS; latency bands and warm-up details: $WORK/bench.log"
echo "every create (start_ms latency_ms): $WORK/create-samples-run*.txt; wrk output: $WORK/wrk-*.txt; server logs: $WORK/server*.log"
