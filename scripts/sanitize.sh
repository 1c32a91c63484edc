#!/usr/bin/env bash
# Builds the server and its tests with sanitizers in a build folder of their
# own and runs them with ctest:
#
#   scripts/sanitize.sh asan [ctest args...]   ASan+UBSan in build-asan
#   scripts/sanitize.sh tsan [ctest args...]   TSan in build-tsan
#
# Extra arguments go to ctest, e.g. `-L unit` or `-R 'RoomSocket|Lifecycle'`.
# The integration tests start the roomchat binary of the same build folder
# (ROOMCHAT_BIN), so the server runs sanitized too; tests/support fails a test
# whose server printed a sanitizer report or did not stop cleanly.
#
# Environment: JOBS (default 2: the CI machine has two cores), BUILD_DIR
# (default build-asan / build-tsan), ROOMCHAT_SANITIZE_BUILD_ONLY=1 to build
# without running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=${1:-}
shift || true
case "$mode" in
  asan)
    sanitize=address,undefined
    dir=${BUILD_DIR:-build-asan}
    ;;
  tsan)
    sanitize=thread
    dir=${BUILD_DIR:-build-tsan}
    ;;
  *)
    echo "usage: $0 asan|tsan [ctest args...]" >&2
    exit 2
    ;;
esac
jobs=${JOBS:-2}

# Same ccache settings as the Makefile (hits across clones). The sloppiness
# lets ccache cache the precompiled-header compilations, which are most of
# the build time; without it every PCH user is "uncacheable".
export CCACHE_BASEDIR=$root
export CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime

# -fno-sanitize-recover: a UBSan finding aborts the process instead of
# printing and carrying on, so it fails the test that caused it.
# -O1 keeps stacks readable and builds faster than -O2 while still inlining
# the trivial wrappers that make -O0 sanitizer builds crawl.
flags="-O1 -g -fno-sanitize-recover=all"
cmake -S . -B "$dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags -DNDEBUG" \
  -DROOMCHAT_SANITIZE="$sanitize" >/dev/null

# Only what ctest runs: the benchmark tools are not tests.
targets=(roomchat integration_tests)
for t in server/*/*_test.cc; do
  t=${t#server/}
  targets+=("${t%%/*}_tests")
done
mapfile -t targets < <(printf '%s\n' "${targets[@]}" | sort -u)
start=$(date +%s)
cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
echo "sanitize.sh: $mode build took $(( $(date +%s) - start )) s"
[[ "${ROOMCHAT_SANITIZE_BUILD_ONLY:-0}" == 1 ]] && exit 0

# Every report is fatal (halt_on_error) and goes to stderr, which the tests
# capture (the server's goes to its server.log). Leak checking is on for the
# test binaries and for the server, whose leak report at a clean shutdown
# fails the test (see tests/support/server_process.cc).
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:detect_invalid_pointer_pairs=0:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:report_error_type=1
export LSAN_OPTIONS=print_suppressions=0
# Suppressions are for third-party false positives only; each one says why.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$root/scripts/tsan.supp"

start=$(date +%s)
status=0
(cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600 "$@") || status=$?
echo "sanitize.sh: $mode tests took $(( $(date +%s) - start )) s (exit $status)"
exit $status
