#!/usr/bin/env python3
"""Image store benchmarks (issue 12), against a running roomchat and its peers.

  upload: N images of SIZE bytes through POST /api/uploads + the presigned PUT
          to the built-in store (which fsyncs and verifies SHA-256 and magic
          bytes), CONCURRENCY clients; against writing the same bytes into a
          folder on the same disk (plain, and with an fsync per file as the
          store does).
  get:    GET /blobs/<key> of one image with wrk (C connections, D seconds),
          against nginx serving the same file.

Prints one JSON line per measurement. Uses only the standard library; wrk and
nginx from Debian. bench/blobs.sh starts the servers and calls this.
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import subprocess
import threading
import time


def png_bytes(size, seed):
    rnd = random.Random(str(seed))
    head = b"\x89PNG\r\n\x1a\n"
    return head + rnd.randbytes(size - len(head))


class Client:
    def __init__(self, port, cookie):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = cookie

    def call(self, method, path, body=None, headers=None):
        h = {"Cookie": self.cookie}
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data


def sign_up(port, name):
    c = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"username": name, "password": "bench password", "displayName": name})
    c.request("POST", "/api/auth/signup", body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    assert r.status == 201, r.status
    cookie = r.getheader("Set-Cookie").split(";")[0]
    return cookie


def upload_one(client, data, key):
    files = [{"sha256": key, "size": len(data), "contentType": "image/png"}]
    status, body = client.call("POST", "/api/uploads", json.dumps({"files": files}),
                               {"Content-Type": "application/json"})
    assert status == 200, (status, body)
    item = json.loads(body)["items"][0]
    if item["url"] is None:
        return
    status, body = client.call("PUT", item["url"], data, {"Content-Type": "image/png"})
    assert status == 201, (status, body)


def bench_upload(port, cookie, size, count, concurrency):
    images = [png_bytes(size, (size, i, time.time_ns())) for i in range(count)]
    keys = [hashlib.sha256(d).hexdigest() for d in images]  # the browser hashes
    clients = [Client(port, cookie) for _ in range(concurrency)]
    queue = list(range(count))
    lock = threading.Lock()

    def work(client):
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop()
            upload_one(client, images[i], keys[i])

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    return images, {"bench": "upload", "size": size, "count": count, "concurrency": concurrency,
                    "seconds": round(seconds, 3), "MBps": round(size * count / seconds / 1e6, 1)}


def bench_disk(images, folder, fsync):
    os.makedirs(folder, exist_ok=True)
    t0 = time.perf_counter()
    for i, data in enumerate(images):
        path = os.path.join(folder, f"{i}.tmp")
        with open(path, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.rename(path, os.path.join(folder, str(i)))
    seconds = time.perf_counter() - t0
    shutil.rmtree(folder)
    size = len(images[0])
    return {"bench": "disk-write" + ("+fsync" if fsync else ""), "size": size,
            "count": len(images), "seconds": round(seconds, 3),
            "MBps": round(size * len(images) / seconds / 1e6, 1)}


def wrk(url, connections, seconds, headers):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])
    non2xx = [l for l in out.splitlines() if "Non-2xx" in l]
    return rps, out, non2xx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["upload", "get"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--nginx-port", type=int)
    p.add_argument("--nginx-root")
    p.add_argument("--scratch", default="/tmp/roomchat-bench-disk")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--seconds", type=int, default=10)
    a = p.parse_args()
    cookie = sign_up(a.port, f"bench{random.randrange(10**9)}")
    if a.mode == "upload":
        for size, count in ((1 << 20, 60), (5 << 20, 16)):
            for conc in (1, 4):
                images, r = bench_upload(a.port, cookie, size, count, conc)
                print(json.dumps(r), flush=True)
            print(json.dumps(bench_disk(images, a.scratch, False)), flush=True)
            print(json.dumps(bench_disk(images, a.scratch, True)), flush=True)
        return
    # get: one 100 KiB image, uploaded and held as a sticker (so it is readable)
    data = png_bytes(100 * 1024, "get")
    key = hashlib.sha256(data).hexdigest()
    client = Client(a.port, cookie)
    upload_one(client, data, key)
    status, _ = client.call("POST", "/api/stickers", json.dumps({"key": key}),
                            {"Content-Type": "application/json"})
    assert status == 200
    with open(os.path.join(a.nginx_root, key), "wb") as f:
        f.write(data)
    ours, _, bad = wrk(f"http://127.0.0.1:{a.port}/blobs/{key}", a.connections, a.seconds,
                       [f"Cookie: {cookie}"])
    assert not bad, bad
    theirs, _, bad = wrk(f"http://127.0.0.1:{a.nginx_port}/{key}", a.connections, a.seconds, [])
    assert not bad, bad
    print(json.dumps({"bench": "get-100KiB", "connections": a.connections, "seconds": a.seconds,
                      "roomchat_rps": ours, "nginx_rps": theirs,
                      "ratio": round(ours / theirs, 3)}), flush=True)


if __name__ == "__main__":
    main()
