#!/usr/bin/env bash
# Image store benchmarks (docs/benchmarks.md "Images"): starts roomchat (its
# own data folder on this disk) and nginx (Debian's nginx-light, one worker,
# sendfile) on 127.0.0.1, runs bench/blobs.py upload and get ROUNDS times,
# and appends the JSON lines to bench/results/<date>-blobs.jsonl. Both
# servers are stopped by PID at the end.
#   bench/blobs.sh                 BIN=build/roomchat ROUNDS=3 SECONDS_PER_RUN=10
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/roomchat}
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
OUT=${OUT:-bench/results/$(date +%F)-blobs.jsonl}
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "blobs.sh: needs wrk and nginx (apt-get install wrk nginx-light)" >&2; exit 1; }

work=$(mktemp -d "$PWD/build/bench-blobs.XXXXXX")  # the same disk as a real data folder
chmod 755 "$work"  # nginx workers run as www-data
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$BIN" serve --listen 127.0.0.1:0 --data "$work/data" --ready-file "$work/ready" \
  --password-cost min --blob-gc-interval-seconds 0 --work-threads 4 \
  --signup-per-minute 1000 --signup-burst 1000 >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
port=$(cat "$work/ready")

mkdir -p "$work/nginx/root" "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server { listen 127.0.0.1:0; root $work/nginx/root; default_type image/png; }
}
EOF
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/listen 127.0.0.1:0/listen 127.0.0.1:$nginx_port/" "$work/nginx/nginx.conf"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
sleep 0.5

{
  echo "{\"machine\": \"$(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\", \"commit\": \"$(git rev-parse --short HEAD)\", \"date\": \"$(date -u +%FT%TZ)\"}"
  for _ in $(seq "$ROUNDS"); do
    [ -n "${SKIP_UPLOAD:-}" ] || python3 bench/blobs.py upload --port "$port" --scratch "$work/disk"
    python3 bench/blobs.py get --port "$port" --nginx-port "$nginx_port" \
      --nginx-root "$work/nginx/root" --seconds "$SECONDS_PER_RUN"
  done
} | tee -a "$OUT"
