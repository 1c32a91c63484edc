#!/usr/bin/env bash
# bench/pack-binaries.sh BUILD_DIR DEST: copies roomchat and roomchat-loadgen
# (stripped) with every shared library they load, the C library and its
# loader included, into DEST and DEST/lib, so that bench/cores-sweep.sh can
# run them on a bare machine of the same architecture.
set -euo pipefail
build=$1 dest=$2
mkdir -p "$dest/lib"
for bin in "$build/roomchat" "$build/roomchat-loadgen"; do
  strip -o "$dest/$(basename "$bin")" "$bin"
done
ldd "$dest/roomchat" "$dest/roomchat-loadgen" | awk '/=> \//{print $3} /^\t\/lib64/{print $1}' |
  sort -u | while read -r lib; do cp -L "$lib" "$dest/lib/"; done
cp -L /lib64/ld-linux-x86-64.so.2 "$dest/lib/"
du -sh "$dest"
