#!/usr/bin/env bash
# Soak run of the fault, load and timeout tests: the same integration tests
# that `make test` runs in their fast form, with ROOMCHAT_SOAK=1 (more kills,
# rooms, sockets and minutes; see tests/support/chaos.h). The measured
# numbers (lines starting "[ chaos    ]") are collected at the end.
#
#   scripts/soak.sh                      # all soak tests
#   SOAK_FILTER='Chaos.*' scripts/soak.sh
#   ROOMCHAT_SEED=123 scripts/soak.sh    # repeat a randomized run
#   BUILD=build-asan scripts/soak.sh     # another build folder
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}
FILTER=${SOAK_FILTER:-'Chaos.*:StuckReader.*:Flood.*:ReconnectStorm.*:RequestTimeouts.*'}
LOG=${SOAK_LOG:-$BUILD/soak-$(date +%Y%m%d-%H%M%S).log}

if [[ ! -f $BUILD/build.ninja && ! -f $BUILD/Makefile ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$BUILD" -j "$JOBS" --target integration_tests roomchat

# The storm holds thousands of sockets on each side.
ulimit -n "$(ulimit -Hn)" || true

echo "soak: $FILTER (log: $LOG)"
start=$(date +%s)
status=0
ROOMCHAT_SOAK=1 "$BUILD/tests/integration_tests" --gtest_filter="$FILTER" 2>&1 | tee "$LOG" || status=$?
echo
echo "=== soak numbers ($(( $(date +%s) - start )) s, exit $status) ==="
grep -E '^\[ chaos    \]|^\[       OK \]|^\[  FAILED  \]' "$LOG" || true
exit "$status"
