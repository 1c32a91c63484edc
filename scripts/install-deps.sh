#!/usr/bin/env bash
# Installs the Debian packages roomchat builds and tests with, only those that
# are missing, so a second run costs a second. Runs as root or through sudo.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config make
  libboost1.81-dev libsqlite3-dev sqlite3 libsodium-dev libssl-dev libcurl4-openssl-dev libgumbo-dev
  nlohmann-json3-dev libspdlog-dev libcli11-dev libgtest-dev libgmock-dev
  procps psmisc lsof curl
)
if [ "${ROOMCHAT_WEB_DEPS:-1}" = 1 ]; then
  packages+=(chromium)
fi
if [ "${ROOMCHAT_SANITIZER_DEPS:-0}" = 1 ]; then
  # libclang-rt-14-dev: the ASan/UBSan/libFuzzer runtimes (clang does not pull
  # them in). llvm: llvm-symbolizer, without which sanitizer and fuzzer
  # reports show bare addresses instead of file:line.
  packages+=(clang libclang-rt-14-dev llvm)
fi
if [ "${ROOMCHAT_S3_DEPS:-0}" = 1 ]; then
  # Ceph's radosgw (S3) and what scripts/services/radosgw.sh needs to run a
  # throw-away single-node cluster for it: ~67 MB to download.
  packages+=(ceph-mon ceph-osd radosgw ceph-common python3)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install-deps: Node.js $node_major found; the web client needs Node.js 20 or newer" >&2
  exit 1
fi
