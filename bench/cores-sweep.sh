#!/usr/bin/env bash
# bench/cores-sweep.sh: the core sweep on its own, for a machine that has only
# the binaries (a larger, bare machine): no cmake, no jq, no Node. Runs the
# fan-out scenario at max rate for each io-thread count and shape, with the
# server pinned to cores 0..T-1 and the load generator to the cores above the
# largest T, and writes one JSON line per run. bench/run.sh's `cores`
# scenario does the same where the whole toolchain is.
#
#   bench/cores-sweep.sh BIN_DIR OUT_FILE
#   BIN_DIR holds roomchat and roomchat-loadgen (and lib/ with their shared
#   libraries when they are not installed there).
#   Environment: IO_THREADS ("1 2 4 8"), SHAPES ("20x50 200x10"), SECONDS_PER
#   (6), ROUNDS (1), LABEL (a tag written into each line).
set -euo pipefail
BIN=$(cd "$1" && pwd); OUT=$2
IO_THREADS=${IO_THREADS:-"1 2 4 8"}
SHAPES=${SHAPES:-"20x50 200x10"}
SECONDS_PER=${SECONDS_PER:-6}
ROUNDS=${ROUNDS:-1}
LABEL=${LABEL:-}
declare -A RATE=([20x50]=1000 [200x10]=2000 [2000x5]=2000 [2x500]=40)
# With its own dynamic loader in lib/ (bench/pack-binaries.sh), a binary
# runs with exactly the libraries it was built against, whatever the machine has.
RUN=()
if [[ -x $BIN/lib/ld-linux-x86-64.so.2 ]]; then
  RUN=("$BIN/lib/ld-linux-x86-64.so.2" --library-path "$BIN/lib")
elif [[ -d $BIN/lib ]]; then
  export LD_LIBRARY_PATH=$BIN/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi

cores=$(nproc); max=0
for t in $IO_THREADS; do (( t > max )) && max=$t; done
(( cores >= max + 2 )) || { echo "need at least $((max + 2)) cores, have $cores" >&2; exit 2; }
LOADGEN_CPUS="$max-$((cores - 1))"; LOADGEN_THREADS=$((cores - max))
TMP=$(mktemp -d /tmp/roomchat-sweep.XXXXXX)
PID=""
cleanup() { [[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

LIMITS=(--password-cost min --message-rate 1000000 --message-burst 1000000
  --signup-per-minute 1e9 --signup-burst 1e9 --login-per-minute 1e9 --login-burst 1e9
  --max-rooms-per-owner 1000000 --max-connections-per-user 100000
  --connect-per-minute 1e9 --connect-burst 1e9)
# The load generator reads /metrics with this token (ROOMCHAT_METRICS_TOKEN).
export ROOMCHAT_METRICS_TOKEN="sweep-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$ROOMCHAT_METRICS_TOKEN" >"$TMP/metrics-token"
LIMITS+=(--metrics-token-file "$TMP/metrics-token")

run_one() {  # $1 shape, $2 io threads, $3 round
  local shape=$1 t=$2 round=$3 data port
  data=$(mktemp -d "$TMP/data.XXXX"); rm -f "$TMP/ready"
  taskset -c "0-$((t - 1))" "${RUN[@]}" "$BIN/roomchat" serve --listen 127.0.0.1:0 --data "$data" \
    --ready-file "$TMP/ready" --io-threads "$t" "${LIMITS[@]}" >>"$TMP/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do [[ -s $TMP/ready ]] && break; sleep 0.1; done
  port=$(cat "$TMP/ready")
  local line
  line=$(timeout --kill-after=5 240 taskset -c "$LOADGEN_CPUS" "${RUN[@]}" "$BIN/roomchat-loadgen" fanout \
    --server roomchat --port "$port" --pid "$PID" --rooms "${shape%x*}" \
    --clients-per-room "${shape#*x}" --rate "${RATE[$shape]}" --duration "$SECONDS_PER" \
    --warmup 1 --threads "$LOADGEN_THREADS") || line='{"error":"loadgen failed"}'
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  rm -rf "$data"
  printf '{"label":"%s","io_threads":%d,"round":%d,"tag":"%s","server_cpus":"0-%d","loadgen_cpus":"%s","nproc":%d,"run":%s}\n' \
    "$shape" "$t" "$round" "$LABEL" "$((t - 1))" "$LOADGEN_CPUS" "$cores" "$line" >>"$OUT"
}

for round in $(seq "$ROUNDS"); do
  for shape in $SHAPES; do
    for t in $IO_THREADS; do
      echo "[$(date -u +%T)] $LABEL $shape io-threads $t round $round" >&2
      run_one "$shape" "$t" "$round"
    done
  done
done
