#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in fuzz/ (clang, ASan+UBSan).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   fuzz each target (default 20 s)
#   scripts/fuzz.sh --merge                 add what earlier runs found to fuzz/corpus
#
# A run never writes into the repository: each target starts from a copy of
# fuzz/corpus/<target>/ plus what earlier runs kept in build-fuzz/found/<target>/
# (the scratch corpus new inputs go to). It exits non-zero when any target
# crashes, leaks, times out, breaks an invariant or draws a UBSan report;
# the input is saved as build-fuzz/artifacts/<target>/crash-* and printed.
# --merge (for humans, not CI) copies into fuzz/corpus/<target>/ only the
# found inputs that reach new edges, then reports the corpus size against the
# budget (~200 files, 1 MiB per target); review and prune before committing.
#
# Environment: BUILD_DIR (build-fuzz), FUZZ_JOBS (build jobs, 2),
# FUZZ_TARGETS (space-separated subset).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD_DIR:-build-fuzz}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
JOBS=${FUZZ_JOBS:-2}
TARGETS=(${FUZZ_TARGETS:-client_frames_fuzz cursor_fuzz ws_frame_fuzz http_request_fuzz})

merge=0
seconds=20
case "${1:-}" in
  --merge) merge=1 ;;
  "") ;;
  *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] | --merge" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac

# Longest input per target: past every limit the parser enforces, short enough
# that the fuzzer spends its time on structure rather than bulk.
max_len() {
  case $1 in
    client_frames_fuzz) echo 8192 ;;   # tiny limits reach every bound well below this
    cursor_fuzz) echo 1024 ;;          # decoders refuse > 512 chars
    http_request_fuzz) echo 20000 ;;   # past the 16 KiB header limit
    *) echo 4096 ;;
  esac
}

# ---- build -------------------------------------------------------------------
export CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=1
command -v clang++ >/dev/null || { echo "fuzz: clang++ missing (ROOMCHAT_SANITIZER_DEPS=1 scripts/install-deps.sh)" >&2; exit 1; }
if [ ! -f "$BUILD/build.ninja" ]; then
  # -O1 -g without NDEBUG: asserts in nlohmann, Beast and Asio stay on.
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DROOMCHAT_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
fi
cmake --build "$BUILD" --target fuzz_targets -j "$JOBS"

# ---- merge -------------------------------------------------------------------
if [ $merge = 1 ]; then
  for t in "${TARGETS[@]}"; do
    found=$BUILD/found/$t
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus"
    if [ -z "$(ls -A "$found" 2>/dev/null)" ]; then
      echo "$t: nothing found yet (run scripts/fuzz.sh first)"; continue
    fi
    before=$(ls "$corpus" | wc -l)
    # Edge coverage only (-use_counters=0): hit counts would keep ~5x more files.
    "$BUILD/fuzz/$t" -merge=1 -use_counters=0 -max_len="$(max_len "$t")" "$corpus" "$found" \
      >"$BUILD/merge-$t.log" 2>&1 || { cat "$BUILD/merge-$t.log" >&2; exit 1; }
    after=$(ls "$corpus" | wc -l)
    bytes=$(cat "$corpus"/* | wc -c)
    echo "$t: $before -> $after files, $((bytes / 1024)) KiB in $corpus"
    if [ "$after" -gt 200 ] || [ "$bytes" -gt 1048576 ]; then
      echo "  warning: over the ~200 files / 1 MiB budget; prune before committing" >&2
    fi
  done
  exit 0
fi

# ---- fuzz --------------------------------------------------------------------
# Leaks and UBSan reports are fatal (UBSan is built -fno-sanitize-recover=all).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Scratch for the seed copies and the targets' own temporary files (the HTTP
# target's web root), so nothing is left in /tmp, even after a crash.
export TMPDIR=$BUILD/tmp
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"

status=0
summary=()
for t in "${TARGETS[@]}"; do
  bin=$BUILD/fuzz/$t
  seeds=$(mktemp -d "$TMPDIR/seeds-$t.XXXXXX")
  cp -r "fuzz/corpus/$t/." "$seeds/" 2>/dev/null || true
  found=$BUILD/found/$t
  artifacts=$BUILD/artifacts/$t
  log=$BUILD/logs/$t.log
  mkdir -p "$found" "$artifacts" "$(dirname "$log")"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")

  echo "== $t: ${seconds}s"
  rc=0
  # New inputs land in $found (first corpus dir); the seed copy is read only.
  "$bin" "$found" "$seeds" "${dict[@]}" -max_total_time="$seconds" \
    -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -print_funcs=0 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?
  rm -rf "$seeds"

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  # One saved input per finding (crash, leak, timeout, out-of-memory).
  crashes=$(grep -c 'Test unit written to' "$log" || true)
  line="$t: ${runs:-?} execs, ${speed:-?} exec/s, ${cov:-cov: ?}, crashes: $crashes"
  if [ $rc -ne 0 ]; then
    status=1
    line+="  FAILED (exit $rc, log $log)"
    grep -E 'ERROR|runtime error|FUZZ_CHECK|Test unit written|SUMMARY' "$log" | head -20 >&2 || true
  fi
  summary+=("$line")
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
