#!/usr/bin/env bash
# bench/run.sh: builds what the benchmarks need, runs every scenario against
# roomchat and (where it applies) the Node baseline, alternating them over
# ROUNDS rounds, writes bench/results/<date>-<scenario>.json and the summary
# in docs/benchmarks.md. Loopback only; every server is started and killed by
# PID; every step has a time limit.
#
#   bench/run.sh                          # everything (~15-20 min on 2 cores)
#   SCENARIOS="fanout idle" ROUNDS=1 bench/run.sh
#   QUICK=1 bench/run.sh                  # tiny sizes, to check the harness
#   SCENARIOS=cores IO_THREADS="1 2 4 8" bench/run.sh   # the core sweep
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
ROUNDS=${ROUNDS:-3}
SCENARIOS=${SCENARIOS:-"fanout idle hibernate history storm cores"}
DATE=${DATE:-$(date -u +%Y-%m-%d)}
RESULTS=$ROOT/bench/results
QUICK=${QUICK:-0}

# Sizes (QUICK=1 shrinks them to check the harness in a minute).
# 200x10 is the common case of real chat: many small rooms, a message worth
# ten deliveries, so its cost is the commit's, not the fan-out's.
FANOUT_SHAPES=${FANOUT_SHAPES:-"20x50 2x500 200x10"}
# The fixed rate, in messages/s, per shape: the same for both servers, below
# what either saturates at, so latency is compared at equal load.
# 400 and 40 msg/s are both ~20,000 deliveries/s, a quarter to a third of
# what the Node baseline delivers at max rate on the reference machine.
# 200x10 at 2,000 msg/s is the same 20,000 deliveries/s.
declare -A FIXED_RATE=([20x50]=${RATE_20x50:-400} [2x500]=${RATE_2x500:-40}
  [200x10]=${RATE_200x10:-2000} [2000x5]=${RATE_2000x5:-2000})
# The core sweep: each io-thread count at max rate, per shape. With at least
# twice the largest count plus two cores, the server and the load generator
# are pinned to disjoint cores (taskset); on a smaller machine they share all.
IO_THREADS=${IO_THREADS:-"1 2"}
SWEEP_SHAPES=${SWEEP_SHAPES:-"20x50 200x10 2000x5"}
SWEEP_SECONDS=${SWEEP_SECONDS:-6}
FANOUT_SECONDS=${FANOUT_SECONDS:-8}
IDLE_ROOMS=200
HIBERNATE_ROOMS=${HIBERNATE_ROOMS:-100000}
HISTORY_MESSAGES=${HISTORY_MESSAGES:-1000000}
STORM_CLIENTS=1000
if [[ $QUICK == 1 ]]; then
  FANOUT_SHAPES="4x10"; FIXED_RATE[4x10]=200; FANOUT_SECONDS=2
  SWEEP_SHAPES="4x10"; SWEEP_SECONDS=2
  IDLE_CONNECTIONS=500; IDLE_ROOMS=10
  HIBERNATE_ROOMS=2000; HISTORY_MESSAGES=20000; STORM_CLIENTS=100
  RESULTS=$ROOT/bench/results/tmp  # ignored by git
fi

LIMITS=(--password-cost min --message-rate 1000000 --message-burst 1000000
  --signup-per-minute 1e9 --signup-burst 1e9 --login-per-minute 1e9 --login-burst 1e9
  --max-rooms-per-owner 1000000 --max-connections-per-user 100000
  --connect-per-minute 1e9 --connect-burst 1e9)

TMP=$(mktemp -d /tmp/roomchat-bench.XXXXXX)
# /metrics answers only its bearer token; roomchat-loadgen reads it from the environment.
export ROOMCHAT_METRICS_TOKEN="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$ROOMCHAT_METRICS_TOKEN" >"$TMP/metrics-token"
LIMITS+=(--metrics-token-file "$TMP/metrics-token")
SHM=""  # tmpfs data folder of the hibernation scenario
SERVER_PID=""
SERVER_PORT=""
SERVER_KIND=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# SIGTERM, then SIGKILL after 10 s (counted: a clean stop is part of the product).
stop_server() {
  [[ -z $SERVER_PID ]] && return 0
  [[ $SERVER_KIND == roomchat ]] && echo "$SERVER_PID" >>"$TMP/stops"
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    log "server $SERVER_PID still running 10 s after SIGTERM: killed"
    echo "$SERVER_PID" >>"$TMP/stop-hangs"
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  stop_server
  rm -rf "$TMP" "$SHM"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ready() {  # $1: ready file
  for _ in $(seq 300); do
    if [[ -s $1 ]]; then SERVER_PORT=$(cat "$1"); return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { log "server exited at start"; return 1; }
    sleep 0.1
  done
  log "server not ready after 30 s"; return 1
}

start_roomchat() {  # $1: data dir, then extra serve flags; $SERVER_CPUS pins it
  local data=$1; shift
  rm -f "$TMP/ready"
  ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} "$BUILD/roomchat" serve --listen 127.0.0.1:0 --data "$data" --ready-file "$TMP/ready" \
    "${LIMITS[@]}" "$@" >>"$TMP/roomchat.log" 2>&1 &
  SERVER_PID=$! SERVER_KIND=roomchat
  wait_ready "$TMP/ready"
}

start_baseline() {
  rm -f "$TMP/ready"
  node "$ROOT/bench/baseline/server.js" --listen 127.0.0.1:0 --ready-file "$TMP/ready" \
    >>"$TMP/baseline.log" 2>&1 &
  SERVER_PID=$! SERVER_KIND=baseline
  wait_ready "$TMP/ready"
}

start() {  # $1: roomchat|baseline; roomchat gets a fresh data dir and $2.. flags
  local kind=$1; shift
  if [[ $kind == baseline ]]; then start_baseline; else
    local data; data=$(mktemp -d "$TMP/data.XXXX"); start_roomchat "$data" "$@"; fi
}

loadgen() {  # scenario flags...; one JSON line on stdout; bounded in time
  local scenario=$1; shift
  timeout --kill-after=10 900 ${LOADGEN_CPUS:+taskset -c "$LOADGEN_CPUS"} \
    "$BUILD/roomchat-loadgen" "$scenario" --port "$SERVER_PORT" \
    --pid "$SERVER_PID" "$@"
}

record() {  # $1: scenario file stem; stdin: one JSON line; adds round/label fields
  local stem=$1 round=$2 label=$3
  jq -c --argjson r "$round" --arg l "$label" '. + {round: $r, label: $l}' \
    >>"$TMP/$stem.jsonl"
}

build() {
  log "building in $BUILD"
  [[ -f $BUILD/build.ninja ]] || cmake -S "$ROOT" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  if ! cmake --build "$BUILD" --target roomchat roomchat-loadgen roomchat-seed -j 2 \
      >"$TMP/build.log" 2>&1; then
    grep -E 'error|FAILED' "$TMP/build.log" | head -20 >&2
    log "build failed"; return 1
  fi
  (cd "$ROOT/bench/baseline" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

# Both servers, alternating which goes first, once per round and shape.
run_fanout() {
  for round in $(seq "$ROUNDS"); do
    for shape in $FANOUT_SHAPES; do
      local order=(roomchat baseline)
      (( round % 2 == 0 )) && order=(baseline roomchat)
      for kind in "${order[@]}"; do
        log "fanout $shape $kind round $round"
        start "$kind"
        loadgen fanout --server "$kind" --rooms "${shape%x*}" --clients-per-room "${shape#*x}" \
          --rate "${FIXED_RATE[$shape]}" --duration "$FANOUT_SECONDS" | record fanout "$round" "$shape"
        stop_server
      done
    done
  done
}

run_idle() {
  for round in $(seq "$ROUNDS"); do
    local order=(roomchat baseline)
    (( round % 2 == 0 )) && order=(baseline roomchat)
    for kind in "${order[@]}"; do
      log "idle $kind round $round"
      start "$kind"
      loadgen idle --server "$kind" --rooms "$IDLE_ROOMS" \
        ${IDLE_CONNECTIONS:+--connections "$IDLE_CONNECTIONS"} | record idle "$round" idle
      stop_server
    done
  done
}

# Once, on tmpfs: 100k room databases on this machine's disk take ~15 min of
# fsyncs to create; memory, open files and wake latency (files in the page
# cache either way) do not depend on it.
run_hibernate() {
  log "hibernate $HIBERNATE_ROOMS rooms"
  SHM=$(mktemp -d /dev/shm/roomchat-bench.XXXXXX)
  start_roomchat "$SHM" --room-idle-seconds 2
  loadgen hibernate --server roomchat --rooms "$HIBERNATE_ROOMS" | record hibernate 1 hibernate
  stop_server
  rm -rf "$SHM"
}

# Seeded once (server stopped), then measured after a fresh start each round.
run_history() {
  local data="$TMP/history-data" prep
  mkdir -p "$data"
  start_roomchat "$data"
  prep=$(loadgen history-prepare --server roomchat)
  stop_server
  local room user cookie
  room=$(jq -r .room <<<"$prep"); user=$(jq -r .user <<<"$prep"); cookie=$(jq -r .cookie <<<"$prep")
  log "history: seeding $HISTORY_MESSAGES messages into $room"
  timeout 900 "$BUILD/roomchat-seed" --data "$data" --room "$room" --author "$user" \
    --count "$HISTORY_MESSAGES" >"$TMP/seed.json"
  for round in $(seq "$ROUNDS"); do
    log "history round $round"
    start_roomchat "$data"
    loadgen history --server roomchat --room "$room" --cookie "$cookie" \
      --last-seq "$HISTORY_MESSAGES" | jq -c --slurpfile seed "$TMP/seed.json" '. + {seed: $seed[0]}' |
      record history "$round" history
    stop_server
  done
}

run_storm() {
  for round in $(seq "$ROUNDS"); do
    log "storm round $round"
    start roomchat
    loadgen storm --server roomchat --clients "$STORM_CLIENTS" | record storm "$round" storm
    stop_server
  done
}

# Max rate per io-thread count and shape, one server per point, rounds
# alternating the order of the counts. Records the pinning it used.
run_cores() {
  local cores max=0 t
  cores=$(nproc)
  for t in $IO_THREADS; do (( t > max )) && max=$t; done
  local pinned=0 loadgen_threads=2
  if (( cores >= 2 * max + 2 )); then
    pinned=1
    SERVER_CPUS="0-$((max - 1))"
    LOADGEN_CPUS="$max-$((cores - 1))"
    loadgen_threads=$((cores - max))
  fi
  for round in $(seq "$ROUNDS"); do
    local counts=($IO_THREADS)
    (( round % 2 == 0 )) && counts=($(printf '%s\n' $IO_THREADS | tac))
    for shape in $SWEEP_SHAPES; do
      for t in "${counts[@]}"; do
        log "cores: $shape with $t io threads, round $round (pinned: $pinned)"
        (( pinned )) && SERVER_CPUS="0-$((t - 1))"
        start roomchat --io-threads "$t"
        loadgen fanout --server roomchat --rooms "${shape%x*}" --clients-per-room "${shape#*x}" \
          --rate "${FIXED_RATE[$shape]:-1000}" --duration "$SWEEP_SECONDS" --warmup 1 \
          --threads "$loadgen_threads" |
          jq -c --argjson t "$t" --argjson p "$pinned" --arg sc "${SERVER_CPUS:-all}" \
            --arg lc "${LOADGEN_CPUS:-all}" \
            '. + {io_threads: $t, pinned: ($p == 1), server_cpus: $sc, loadgen_cpus: $lc}' |
          record cores "$round" "$shape"
        stop_server
      done
    done
  done
  SERVER_CPUS="" LOADGEN_CPUS=""
}

main() {
  build
  mkdir -p "$RESULTS"
  local before started=$SECONDS
  for s in $SCENARIOS; do
    before=$(cut -d' ' -f1-3 /proc/loadavg)
    "run_$s"
    python3 "$ROOT/bench/summarize.py" collect --scenario "$s" --input "$TMP/$s.jsonl" \
      --output "$RESULTS/$DATE-$s.json" --load-before "$before" \
      --load-after "$(cut -d' ' -f1-3 /proc/loadavg)" --rounds "$ROUNDS" --quick "$QUICK"
  done
  log "suite took $((SECONDS - started)) s"
  local stops hangs
  touch "$TMP/stops" "$TMP/stop-hangs"
  stops=$(wc -l <"$TMP/stops"); hangs=$(wc -l <"$TMP/stop-hangs")
  log "roomchat servers stopped: $stops, of which $hangs ignored SIGTERM for 10 s"
  jq -n --argjson s "$stops" --argjson h "$hangs" '{stops: $s, hung_after_sigterm: $h}' \
    >"$RESULTS/$DATE-shutdown.json"
  [[ $QUICK == 1 ]] && { log "QUICK run: docs/benchmarks.md left as it is"; return 0; }
  python3 "$ROOT/bench/summarize.py" report --results "$RESULTS" --date "$DATE" \
    --doc "$ROOT/docs/benchmarks.md"
}

main "$@"
