#!/usr/bin/env bash
# A throw-away, single-node Ceph cluster with radosgw (S3) for the tests, from
# Debian 12's packages (Ceph 16.2 "pacific"). Everything lives under one folder:
# its own ceph.conf, fsid, run/log/admin-socket folders; no systemd, nothing
# system-wide. One monitor and one memstore OSD (RAM-backed, needs no block
# device or privileges), auth none, radosgw (beast) on 127.0.0.1.
#
#   radosgw.sh install              apt-installs the packages if missing
#   radosgw.sh start <dir>          starts the cluster, writes <dir>/env and <dir>/secret
#   radosgw.sh check <dir>          S3 self-test with curl (and python3's stdlib for presigned URLs)
#   radosgw.sh stop <dir> [--clean] kills the PIDs in <dir>/pids (TERM, then KILL); --clean removes <dir>
#
# Environment for start: RADOSGW_PORT, RADOSGW_MON_PORT (default: free ports),
# RADOSGW_BUCKET (roomchat-test), RADOSGW_REGION (us-east-1; radosgw does not
# check the region a request is signed for), RADOSGW_START_TIMEOUT (seconds,
# 120), RADOSGW_MEMSTORE_BYTES (the OSD's capacity, held in RAM: 1 GiB),
# RADOSGW_DEBUG_RGW (radosgw's log level, 1/5; 20 logs each canonical request).
# The daemons run in the foreground of their own sessions (setsid), their PIDs
# in <dir>/pids; their logs are in <dir>/log. The bucket ignores public ACLs
# and policies (public access block). A cold start takes 5 to 10 s on 2 busy
# cores; the three daemons hold about 140 MB (RSS) plus the objects stored.
set -euo pipefail

PACKAGES=(ceph-mon ceph-osd radosgw ceph-common)
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

die() { echo "radosgw.sh: $*" >&2; exit 1; }
log() { echo "radosgw.sh: $*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

cmd_install() {
  local missing=() p
  for p in "${PACKAGES[@]}" curl python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_string() { # length, tr character class
  local out=""
  while [ ${#out} -lt "$1" ]; do
    out+=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc "$2" || true)
  done
  echo "${out:0:$1}"
}

# A zombie counts as gone: where PID 1 is not an init (some containers), exited
# daemons that were re-parented to it may stay zombies for a while.
running() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# PIDs recorded in <dir>/pids, one "name pid" a line.
alive_pids() {
  local dir=$1 name pid
  [ -f "$dir/pids" ] || return 0
  while read -r name pid; do
    if [ -n "$pid" ] && running "$pid"; then echo "$pid"; fi
  done <"$dir/pids"
}

tails() {
  local dir=$1 f
  for f in "$dir"/log/*; do
    [ -s "$f" ] || continue
    echo "----- tail $f" >&2
    tail -n 25 "$f" >&2
  done
}

# A daemon in the foreground (-f), detached from the caller's session, its PID recorded.
spawn() {
  local dir=$1 name=$2
  shift 2
  setsid "$@" -f </dev/null >>"$dir/log/$name.out" 2>&1 &
  echo "$name $!" >>"$dir/pids"
}

ceph_cli() { timeout 90 ceph -c "$CONF" --connect-timeout 60 "$@"; }

wait_for() { # description, deadline (epoch seconds), command...
  local what=$1 deadline=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tails "$DIR"
      die "timed out waiting for $what (logs above, all under $DIR/log)"
    fi
    local pid name
    while read -r name pid; do
      running "$pid" || { tails "$DIR"; die "$name (pid $pid) exited while waiting for $what"; }
    done <"$DIR/pids"
    sleep 0.5
  done
}

rgw_answers() { curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$RGW_PORT/"; }

elapsed() { awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $1 }"; }
phase() { log "$(printf '%-16s up at %5s s' "$1" "$(elapsed "$T0")")"; }

cmd_start() {
  DIR=$(mkdir -p "$1" && cd "$1" && pwd)
  CONF=$DIR/ceph.conf
  local deadline
  T0=$EPOCHREALTIME
  deadline=$(( $(date +%s) + ${RADOSGW_START_TIMEOUT:-120} ))
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph curl python3 uuidgen; do
    command -v "$b" >/dev/null || die "$b not found: run '$0 install' first"
  done
  if [ -n "$(alive_pids "$DIR")" ]; then
    die "a cluster is already running under $DIR (pids $(alive_pids "$DIR" | xargs)): '$0 stop $DIR' first"
  fi
  # From here on a failed start stops what it started (the logs stay).
  # shellcheck disable=SC2154 # rc is assigned in the trap
  trap 'rc=$?; if [ $rc -ne 0 ]; then cmd_stop "$DIR"; fi; exit $rc' EXIT
  # Whatever a previous, stopped cluster left here goes: each start is a fresh cluster.
  rm -rf "${DIR:?}"/{ceph.conf,monmap,mon,osd,rgw,run,log,crash,pids,env,secret}

  local fsid mon_port access secret bucket region
  fsid=$(uuidgen)
  mon_port=${RADOSGW_MON_PORT:-$(free_port)}
  RGW_PORT=${RADOSGW_PORT:-$(free_port)}
  bucket=${RADOSGW_BUCKET:-roomchat-test}
  region=${RADOSGW_REGION:-us-east-1}
  mkdir -p "$DIR"/{mon,osd,rgw,run,log,crash}
  : >"$DIR/pids"

  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $DIR/run/\$cluster-\$name.asok
log file = $DIR/log/\$name.log
crash dir = $DIR/crash
log to stderr = false
err to stderr = true
ms bind ipv6 = false
osd crush chooseleaf type = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000

[mon.a]
public addrv = v2:127.0.0.1:$mon_port
mon data = $DIR/mon
mon cluster log file = $DIR/log/mon-cluster.log
mon data avail crit = 0
mon data avail warn = 0
mon allow pool delete = true
# Every osdmap change (each of radosgw's 6 pools takes two) waits for the
# next proposal, 1 s apart by default: 0.1 s halves the start.
paxos propose interval = 0.1

[osd]
osd data = $DIR/osd
osd objectstore = memstore
memstore device bytes = ${RADOSGW_MEMSTORE_BYTES:-1073741824}
osd memory target = 536870912
osd class load list = *
osd class default list = *

[client.rgw]
rgw data = $DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw thread pool size = 32
debug rgw = ${RADOSGW_DEBUG_RGW:-1/5}
# radosgw's built-in defaults ask for a cephx-encrypted monitor connection
# ("secure"), which auth none cannot give (the connection fails with -13).
ms mon client mode = crc
EOF

  # Monitor: monmap with this one address, mkfs, run.
  timeout 60 monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$DIR/monmap" >"$DIR/log/mkfs-mon.out" 2>&1 \
    || { cat "$DIR/log/mkfs-mon.out" >&2; die "monmaptool failed"; }
  timeout 60 ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" --keyring /dev/null >>"$DIR/log/mkfs-mon.out" 2>&1 \
    || { cat "$DIR/log/mkfs-mon.out" >&2; die "ceph-mon --mkfs failed"; }
  spawn "$DIR" mon.a ceph-mon -c "$CONF" -i a

  # OSD 0 on memstore, registered with the monitor (the client waits for it
  # to answer). Without --no-mon-config its mkfs would wait for the monitor
  # too, up to 300 s where the monitor is not there.
  local osd_uuid osd_id
  osd_uuid=$(uuidgen)
  timeout 60 ceph-osd -c "$CONF" -i 0 --mkfs --no-mon-config --osd-uuid "$osd_uuid" >"$DIR/log/mkfs-osd.out" 2>&1 \
    || { cat "$DIR/log/mkfs-osd.out" >&2; die "ceph-osd --mkfs failed"; }
  osd_id=$(ceph_cli osd new "$osd_uuid" 2>"$DIR/log/osd-new.out") \
    || { tails "$DIR"; die "the monitor on 127.0.0.1:$mon_port did not register osd.0"; }
  [ "$osd_id" = 0 ] || die "expected osd id 0, the monitor gave '$osd_id'"
  phase monitor
  spawn "$DIR" osd.0 ceph-osd -c "$CONF" -i 0

  # radosgw; on its first start it creates its pools, which waits for the OSD.
  spawn "$DIR" client.rgw radosgw -c "$CONF" -n client.rgw
  wait_for "radosgw on http://127.0.0.1:$RGW_PORT" "$deadline" rgw_answers
  phase radosgw

  # An S3 user with random keys, and the bucket (path-style).
  access=$(random_string 20 'A-Z0-9')
  secret=$(random_string 40 'A-Za-z0-9')
  timeout 60 radosgw-admin -c "$CONF" user create --uid roomchat --display-name roomchat \
    --access-key "$access" --secret-key "$secret" >"$DIR/log/user-create.out" 2>&1 \
    || { cat "$DIR/log/user-create.out" >&2; die "radosgw-admin user create failed"; }
  local code
  code=$(curl -sS -o "$DIR/log/bucket-create.out" -w '%{http_code}' --max-time 30 \
    --aws-sigv4 "aws:amz:$region:s3" --user "$access:$secret" -H "x-amz-content-sha256: $EMPTY_SHA256" \
    -X PUT "http://127.0.0.1:$RGW_PORT/$bucket")
  [ "$code" = 200 ] || { cat "$DIR/log/bucket-create.out" >&2; die "creating bucket $bucket: HTTP $code"; }
  # Private for good: public ACLs and policies are ignored. Without this a
  # presigned PUT that signs only host can be sent with x-amz-acl: public-read
  # and makes its object world-readable. Not BlockPublicAcls: in Ceph 16.2.15
  # it refuses every PUT of an object, private ones by the owner too (403).
  # (curl 7.88 signs "?publicAccessBlock" wrongly; "?publicAccessBlock=" is
  # the same request, signed right.)
  local pab='<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>'
  code=$(curl -sS -o "$DIR/log/bucket-create.out" -w '%{http_code}' --max-time 30 \
    --aws-sigv4 "aws:amz:$region:s3" --user "$access:$secret" \
    -H "x-amz-content-sha256: $(printf '%s' "$pab" | sha256sum | cut -d' ' -f1)" \
    -X PUT -H "Content-Type: application/xml" --data-binary "$pab" "http://127.0.0.1:$RGW_PORT/$bucket?publicAccessBlock=")
  [ "$code" = 200 ] || { cat "$DIR/log/bucket-create.out" >&2; die "blocking public access to $bucket: HTTP $code"; }

  umask 077
  printf '%s\n' "$secret" >"$DIR/secret"
  cat >"$DIR/env" <<EOF
ROOMCHAT_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
ROOMCHAT_S3_REGION=$region
ROOMCHAT_S3_BUCKET=$bucket
ROOMCHAT_S3_ACCESS_KEY=$access
ROOMCHAT_S3_SECRET_KEY=$secret
EOF
  phase "user and bucket"
  trap - EXIT
  log "radosgw up on http://127.0.0.1:$RGW_PORT, bucket $bucket, in $(elapsed "$T0") s; env in $DIR/env"
}

# AWS SigV4 query signing (presigned URLs) with python3's standard library.
#   presign METHOD URL EXPIRES DATE_OFFSET_S PAYLOAD_HASH [name:value ...]
# The name:value headers are signed (host always is); PAYLOAD_HASH is the last
# line of the canonical request: UNSIGNED-PAYLOAD, or what radosgw wants when
# x-amz-content-sha256 is signed (its value).
PRESIGN_PY='
import hashlib, hmac, sys, time, urllib.parse
method, url, access, secret, region, expires, offset, payload = sys.argv[1:9]
headers = dict((k.strip().lower(), v.strip()) for k, v in (h.split(":", 1) for h in sys.argv[9:]))
u = urllib.parse.urlsplit(url)
headers["host"] = u.netloc
amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + int(offset)))
scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
signed = ";".join(sorted(headers))
enc = lambda s: urllib.parse.quote(s, safe="-_.~")
query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted({
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{access}/{scope}",
    "X-Amz-Date": amz_date, "X-Amz-Expires": expires, "X-Amz-SignedHeaders": signed}.items()))
path = urllib.parse.quote(u.path or "/", safe="/-_.~")
canonical = "\n".join([method, path, query, "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload])
to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
key = ("AWS4" + secret).encode()
for part in (amz_date[:8], region, "s3", "aws4_request"):
    key = hmac.new(key, part.encode(), hashlib.sha256).digest()
print(f"{u.scheme}://{u.netloc}{path}?{query}&X-Amz-Signature={hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()}")
'
presign() {
  local method=$1 url=$2
  shift 2
  python3 -c "$PRESIGN_PY" "$method" "$url" "$ROOMCHAT_S3_ACCESS_KEY" "$ROOMCHAT_S3_SECRET_KEY" "$ROOMCHAT_S3_REGION" "$@"
}

sha256_hex() { sha256sum <"$1" | cut -d' ' -f1; }
b64_digest() { python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.new(sys.argv[1], open(sys.argv[2], "rb").read()).digest()).decode())' "$1" "$2"; }


# "<http status> <S3 error code>" of a request; the body goes to $TMP/body.
status_of() {
  local code
  code=$(curl -sS --max-time 30 -o "$TMP/body" -w '%{http_code}' "$@" 2>"$TMP/curl.err") || code="curl-error:$(head -c 200 "$TMP/curl.err")"
  echo "$code $(grep -o '<Code>[^<]*' "$TMP/body" 2>/dev/null | head -1 | cut -c7-)" | sed 's/ *$//'
}

expect() { # what, wanted "<status> [code]", curl args...
  local what=$1 want=$2 got
  shift 2
  got=$(status_of "$@")
  if [ "$got" = "$want" ]; then
    PASSED=$((PASSED + 1)); printf 'ok    %-84s %s\n' "$what" "$got"
  else
    FAILED=$((FAILED + 1)); printf 'FAIL  %-84s got %s, want %s\n' "$what" "$got" "$want"
  fi
}

same_bytes() { # what, file, file
  if cmp -s "$2" "$3"; then
    PASSED=$((PASSED + 1)); printf 'ok    %-84s %s\n' "$1" "same bytes"
  else
    FAILED=$((FAILED + 1)); printf 'FAIL  %-84s %s\n' "$1" "bytes differ"
  fi
}

info() { # what, curl args...: prints what radosgw does, not a pass or fail
  local what=$1
  shift
  printf 'info  %-84s %s\n' "$what" "$(status_of "$@")"
}

cmd_check() {
  local dir=$1
  [ -f "$dir/env" ] || die "no $dir/env: '$0 start $dir' first"
  set -a
  # shellcheck disable=SC1091
  . "$dir/env"
  set +a
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  PASSED=0 FAILED=0
  # Header (Authorization) SigV4 by curl. The caller passes x-amz-content-sha256,
  # which curl 7.88 does not add by itself (radosgw then assumes
  # UNSIGNED-PAYLOAD and the signature does not match).
  local s3=(--aws-sigv4 "aws:amz:$ROOMCHAT_S3_REGION:s3" --user "$ROOMCHAT_S3_ACCESS_KEY:$ROOMCHAT_S3_SECRET_KEY")
  local base=$ROOMCHAT_S3_ENDPOINT/$ROOMCHAT_S3_BUCKET/radosgw-check/$$-$RANDOM
  local empty=x-amz-content-sha256:$EMPTY_SHA256 f=$TMP
  head -c 100000 /dev/urandom >"$f/object"
  printf 'hello' >"$f/hello"; printf 'jello' >"$f/jello"; printf 'hello!' >"$f/hello6"
  local h_object h_hello url
  h_object=$(sha256_hex "$f/object")
  h_hello=$(sha256_hex "$f/hello")

  echo "== header-signed requests (curl --aws-sigv4)"
  expect "PUT 100 kB object" 200 "${s3[@]}" -H "x-amz-content-sha256: $h_object" -T "$f/object" "$base/object"
  expect "HEAD it" 200 "${s3[@]}" -I -H "$empty" "$base/object"
  expect "GET it" 200 "${s3[@]}" -H "$empty" "$base/object"
  same_bytes "GET returns the bytes PUT" "$f/object" "$TMP/body"
  expect "PUT whose body does not match the signed x-amz-content-sha256 is refused" "400 XAmzContentSHA256Mismatch" \
    "${s3[@]}" -H "x-amz-content-sha256: $h_hello" -T "$f/jello" "$base/sha-mismatch"
  expect "  and nothing was stored" 404 "${s3[@]}" -I -H "$empty" "$base/sha-mismatch"
  expect "PUT whose body does not match Content-MD5 is refused" "400 BadDigest" \
    "${s3[@]}" -H "x-amz-content-sha256: $(sha256_hex "$f/jello")" -H "Content-MD5: $(b64_digest md5 "$f/hello")" -T "$f/jello" "$base/md5-mismatch"
  info "PUT with a mismatching x-amz-checksum-sha256 (200 = not checked; Ceph 16.2 ignores it)" \
    "${s3[@]}" -H "x-amz-content-sha256: $h_hello" -H "x-amz-checksum-sha256: $(b64_digest sha256 "$f/jello")" -T "$f/hello" "$base/checksum-mismatch"
  expect "anonymous GET is refused" "403 AccessDenied" "$base/object"

  echo "== presigned URLs (SigV4 query signing, python3 stdlib)"
  expect "presigned GET" 200 "$(presign GET "$base/object" 60 0 UNSIGNED-PAYLOAD)"
  same_bytes "  returns the bytes PUT" "$f/object" "$TMP/body"
  expect "presigned HEAD" 200 -I "$(presign HEAD "$base/object" 60 0 UNSIGNED-PAYLOAD)"
  expect "presigned GET signed for another region (the region is not checked)" 200 \
    "$(ROOMCHAT_S3_REGION=eu-west-3 presign GET "$base/object" 60 0 UNSIGNED-PAYLOAD)"
  expect "presigned PUT URL used for GET is refused" "403 SignatureDoesNotMatch" "$(presign PUT "$base/object" 60 0 UNSIGNED-PAYLOAD)"
  expect "expired presigned GET is refused" "403 AccessDenied" "$(presign GET "$base/object" 60 -120 UNSIGNED-PAYLOAD)"
  expect "presigned GET with X-Amz-Expires over 7 days is refused" "403 AccessDenied" "$(presign GET "$base/object" 604801 0 UNSIGNED-PAYLOAD)"

  url=$(presign PUT "$base/host-only" 60 0 UNSIGNED-PAYLOAD)
  expect "presigned PUT signing host only: any body" 200 -T "$f/hello" "$url"
  expect "  used again before it expires" 200 -T "$f/jello" "$url"
  expect "  with an unsigned Content-Type (stored as sent: not enforced unless signed)" 200 -T "$f/hello" -H "Content-Type: image/png" "$url"
  expect "  with an unsigned x-amz-content-sha256 (radosgw signs with it: refused)" "403 SignatureDoesNotMatch" -T "$f/hello" -H "x-amz-content-sha256: $h_hello" "$url"
  expect "  with an unsigned x-amz-meta-note header (accepted)" 200 -T "$f/hello" -H "x-amz-meta-note: unsigned" "$url"
  expect "  with x-amz-content-sha256: UNSIGNED-PAYLOAD" 200 -T "$f/hello" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$url"
  expect "  with an unsigned x-amz-acl: public-read (accepted: ACLs are not signed)" 200 -T "$f/hello" -H "x-amz-acl: public-read" "$url"
  expect "  but anonymous GET is still refused (the bucket ignores public ACLs)" "403 AccessDenied" "$base/host-only"

  url=$(presign PUT "$base/length-type" 60 0 UNSIGNED-PAYLOAD content-length:5 content-type:text/plain)
  expect "presigned PUT signing content-length:5 and content-type: as signed" 200 -T "$f/hello" -H "Content-Type: text/plain" "$url"
  expect "  a 6-byte body is refused" "403 SignatureDoesNotMatch" -T "$f/hello6" -H "Content-Type: text/plain" "$url"
  expect "  another Content-Type is refused" "403 SignatureDoesNotMatch" -T "$f/hello" -H "Content-Type: image/png" "$url"
  expect "  no Content-Type is refused" "403 SignatureDoesNotMatch" -T "$f/hello" "$url"
  expect "  chunked, without Content-Length, is refused" "403 SignatureDoesNotMatch" -T - -H "Content-Type: text/plain" "$url" <"$f/hello"

  url=$(presign PUT "$base/sha" 60 0 "$h_hello" "x-amz-content-sha256:$h_hello")
  expect "presigned PUT signing x-amz-content-sha256 (payload line = its value): that body" 200 -T "$f/hello" -H "x-amz-content-sha256: $h_hello" "$url"
  expect "  another body of the same length is refused" "400 XAmzContentSHA256Mismatch" -T "$f/jello" -H "x-amz-content-sha256: $h_hello" "$url"
  expect "  without the header is refused" "403 SignatureDoesNotMatch" -T "$f/hello" "$url"
  url=$(presign PUT "$base/sha-unsigned-payload" 60 0 UNSIGNED-PAYLOAD "x-amz-content-sha256:$h_hello")
  expect "presigned PUT signing x-amz-content-sha256 with payload line UNSIGNED-PAYLOAD is refused" "403 SignatureDoesNotMatch" -T "$f/hello" -H "x-amz-content-sha256: $h_hello" "$url"

  url=$(presign PUT "$base/md5" 60 0 UNSIGNED-PAYLOAD "content-md5:$(b64_digest md5 "$f/hello")")
  expect "presigned PUT signing content-md5: that body" 200 -T "$f/hello" -H "Content-MD5: $(b64_digest md5 "$f/hello")" "$url"
  expect "  another body of the same length is refused" "400 BadDigest" -T "$f/jello" -H "Content-MD5: $(b64_digest md5 "$f/hello")" "$url"
  expect "  another body with its own Content-MD5 is refused" "403 SignatureDoesNotMatch" -T "$f/jello" -H "Content-MD5: $(b64_digest md5 "$f/jello")" "$url"
  url=$(presign PUT "$base/checksum" 60 0 UNSIGNED-PAYLOAD "x-amz-checksum-sha256:$(b64_digest sha256 "$f/jello")")
  info "presigned PUT signing a mismatching x-amz-checksum-sha256 (200 = not checked)" -T "$f/hello" -H "x-amz-checksum-sha256: $(b64_digest sha256 "$f/jello")" "$url"

  # What this check wrote goes (the bucket stays).
  local key
  for key in object host-only length-type sha md5 checksum-mismatch checksum; do
    curl "${s3[@]}" -sS -o /dev/null -X DELETE -H "$empty" "$base/$key" || true
  done
  echo "radosgw check: $PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

# TERM, up to 5 s, then KILL; one daemon at a time, the last started first, so
# that the OSD can still tell the monitor it is going (with the monitor gone it
# waits 5 s for it).
stop_pid() {
  local name=$1 pid=$2
  running "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    running "$pid" || return 0
    sleep 0.1
  done
  log "$name (pid $pid) still running 5 s after TERM: KILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_stop() {
  local dir=$1 clean=${2:-} name pid
  [ -z "$clean" ] || [ "$clean" = --clean ] || die "stop: unknown option $clean"
  if [ -f "$dir/pids" ]; then
    while read -r name pid; do
      [ -n "$pid" ] && stop_pid "$name" "$pid"
    done < <(tac "$dir/pids")
    : >"$dir/pids"
  fi
  if [ "$clean" = --clean ]; then
    rm -rf "$dir"
  fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
  stop) { [ $# -ge 2 ] && [ $# -le 3 ]; } || usage; cmd_stop "$2" "${3:-}" ;;
  check) [ $# -eq 2 ] || usage; cmd_check "$2" ;;
  *) usage ;;
esac
