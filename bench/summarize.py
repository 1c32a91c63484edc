#!/usr/bin/env python3
"""Turns the load generator's JSON lines into result files and a summary.

  summarize.py collect --scenario S --input runs.jsonl --output results/<date>-S.json ...
      one result file: the machine, the conditions and every run, unmodified
  summarize.py report --results bench/results --date D --doc docs/benchmarks.md
      medians over rounds, ratios to the baseline, each figure against its
      target; replaces the block between the RESULTS markers in the doc
"""
import argparse
import glob
import json
import os
import platform
import statistics
import sys

BEGIN, END = "<!-- RESULTS:BEGIN (bench/summarize.py) -->", "<!-- RESULTS:END -->"


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kib / 2**20, 1),
            "kernel": platform.release()}


def collect(args):
    runs = []
    if os.path.exists(args.input):
        with open(args.input) as f:
            runs = [json.loads(line) for line in f if line.strip()]
    out = {"scenario": args.scenario, "machine": machine(),
           "conditions": {"load_before": args.load_before, "load_after": args.load_after,
                          "rounds": args.rounds, "quick": args.quick == "1",
                          "build": "RelWithDebInfo", "loadgen": "same 2 cores, 2 threads"},
           "runs": runs}
    with open(args.output, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


def dig(run, path):
    for key in path.split("."):
        if not isinstance(run, dict) or key not in run:
            return None
        run = run[key]
    return run


def median(runs, path):
    values = [v for v in (dig(r, path) for r in runs) if isinstance(v, (int, float))]
    return statistics.median(values) if values else None


def per_unit_us(runs, phase, unit):
    """Median over runs of server CPU per message ("sent") or per delivery, in µs."""
    values = []
    for r in runs:
        cpu, n = dig(r, f"{phase}.server_cpu_cores"), dig(r, f"{phase}.{unit}_per_s")
        if isinstance(cpu, (int, float)) and isinstance(n, (int, float)) and n > 0:
            values.append(cpu / n * 1e6)
    return statistics.median(values) if values else None


def fmt(v, unit=""):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}{unit}"
    return f"{v:.2f}{unit}" if abs(v) < 10 else f"{v:.1f}{unit}"


class Table:
    def __init__(self):
        self.rows = []

    def add(self, scenario, figure, ours, base=None, target=None, ok=None, unit="", ratio=None):
        if ratio is None and ours is not None and base:
            ratio = ours / base
        verdict = "–" if ok is None else ("**pass**" if ok else "**FAIL**")
        self.rows.append(f"| {scenario} | {figure} | {fmt(ours, unit)} | {fmt(base, unit)} | "
                         f"{'–' if ratio is None else f'{ratio:.2f}×'} | {target or '–'} | {verdict} |")

    def render(self):
        head = ("| scenario | figure (median over rounds) | roomchat | Node `ws` baseline | "
                "ratio | target | result |\n|---|---|---|---|---|---|---|\n")
        return head + "\n".join(self.rows) + "\n"


def fanout_rows(t, runs):
    for shape in sorted({r["label"] for r in runs}, key=lambda s: -int(s.split("x")[1])):
        ours = [r for r in runs if r["label"] == shape and r["server"] == "roomchat"]
        base = [r for r in runs if r["label"] == shape and r["server"] == "baseline"]
        name = f"fan-out {shape.replace('x', ' rooms × ')}"
        o, b = median(ours, "max.deliveries_per_s"), median(base, "max.deliveries_per_s")
        t.add(name, "max rate: deliveries/s", o, b, "≥ 2.5× baseline",
              None if not (o and b) else o / b >= 2.5)
        for q in ("p50", "p99", "p999"):
            t.add(name, f"max rate: latency {q}", median(ours, f"max.latency.{q}_us"),
                  median(base, f"max.latency.{q}_us"), unit=" µs")
        t.add(name, "max rate: server CPU (cores)", median(ours, "max.server_cpu_cores"),
              median(base, "max.server_cpu_cores"))
        t.add(name, "max rate: loadgen CPU (cores)", median(ours, "max.loadgen_cpu_cores"),
              median(base, "max.loadgen_cpu_cores"))
        rate = median(ours, "config.fixed_rate")
        t.add(name, f"fixed {fmt(rate)} msg/s: deliveries/s", median(ours, "fixed.deliveries_per_s"),
              median(base, "fixed.deliveries_per_s"))
        for q in ("p50", "p99", "p999"):
            o, b = median(ours, f"fixed.latency.{q}_us"), median(base, f"fixed.latency.{q}_us")
            target = "≤ 0.5× baseline" if q == "p99" else None
            ok = None if q != "p99" or not (o and b) else o / b <= 0.5
            t.add(name, f"fixed rate: latency {q}", o, b, target, ok, unit=" µs")
        t.add(name, "fixed rate: server CPU (cores)", median(ours, "fixed.server_cpu_cores"),
              median(base, "fixed.server_cpu_cores"))
        o = per_unit_us(ours, "fixed", "sent")
        small = shape == "200x10"
        t.add(name, "fixed rate: server CPU per message", o, per_unit_us(base, "fixed", "sent"),
              "≤ 60 µs" if small else None, None if not small or o is None else o <= 60, unit=" µs")
        t.add(name, "max rate: server CPU per delivery", per_unit_us(ours, "max", "deliveries"),
              per_unit_us(base, "max", "deliveries"), unit=" µs")


def cores_rows(t, runs):
    for shape in sorted({r["label"] for r in runs}, key=lambda s: -int(s.split("x")[1])):
        of_shape = [r for r in runs if r["label"] == shape]
        counts = sorted({r["io_threads"] for r in of_shape})
        name = f"cores {shape.replace('x', ' rooms × ')}"
        first = None
        for n in counts:
            at = [r for r in of_shape if r["io_threads"] == n]
            pinned = "pinned" if all(r.get("pinned") for r in at) else "shared cores"
            d = median(at, "max.deliveries_per_s")
            first = first if first is not None else d
            t.add(name, f"{n} io threads ({pinned}): max deliveries/s", d,
                  ratio=None if not (d and first) else d / first)
            t.add(name, f"{n} io threads: server CPU (cores)", median(at, "max.server_cpu_cores"))
            t.add(name, f"{n} io threads: server CPU per message", per_unit_us(at, "max", "sent"),
                  unit=" µs")
            t.add(name, f"{n} io threads: load generator CPU (cores)",
                  median(at, "max.loadgen_cpu_cores"))


def idle_rows(t, runs):
    ours = [r for r in runs if r["server"] == "roomchat"]
    base = [r for r in runs if r["server"] == "baseline"]
    o = median(ours, "rss_per_connection_bytes")
    t.add("idle connections", "connections held", median(ours, "connected"), median(base, "connected"))
    t.add("idle connections", "server RSS per connection (bytes)", o,
          median(base, "rss_per_connection_bytes"), "≤ 4,096 B", None if o is None else o <= 4096)


def hibernate_rows(t, runs):
    n = median(runs, "rooms")
    o = median(runs, "rss_per_hibernated_room_bytes")
    t.add("hibernated rooms", f"server RSS per hibernated room ({fmt(n)} rooms, bytes)", o,
          target="≤ 256 B", ok=None if o is None else o <= 256)
    files = median(runs, "open_room_files")
    t.add("hibernated rooms", "open room files after hibernation", files, target="0",
          ok=None if files is None else files == 0)
    p99 = median(runs, "cold_wake_http.p99_us")
    t.add("hibernated rooms", "cold wake, GET 25 messages: p50", median(runs, "cold_wake_http.p50_us"),
          unit=" µs")
    t.add("hibernated rooms", "cold wake, GET 25 messages: p99", p99, target="≤ 2,000 µs",
          ok=None if p99 is None else p99 <= 2000, unit=" µs")
    t.add("hibernated rooms", "peak room files open while creating them",
          median(runs, "peak_open_room_files"))
    s50, s99 = median(runs, "server_wake_seconds.p50_le"), median(runs, "server_wake_seconds.p99_le")
    t.add("hibernated rooms", "server wake histogram p50 (bucket ≤)",
          None if s50 is None else s50 * 1e6, unit=" µs")
    t.add("hibernated rooms", "server wake histogram p99 (bucket ≤)",
          None if s99 is None else s99 * 1e6, unit=" µs")


def history_rows(t, runs):
    n = median(runs, "room_messages")
    for via, key in (("HTTP GET", "http"), ("`history` frame", "ws")):
        t.add("history page", f"{via}, 25 of {fmt(n)}: p50", median(runs, f"{key}.p50_us"), unit=" µs")
        p99 = median(runs, f"{key}.p99_us")
        t.add("history page", f"{via}, 25 of {fmt(n)}: p99", p99, target="≤ 1,000 µs",
              ok=None if p99 is None else p99 <= 1000, unit=" µs")


def storm_rows(t, runs):
    n = median(runs, "clients")
    t.add("reconnect storm", f"{fmt(n)} clients × 50 missed: all caught up (s)", median(runs, "storm_seconds"))
    t.add("reconnect storm", "per client connect → welcome p50", median(runs, "reconnect_latency.p50_us"), unit=" µs")
    t.add("reconnect storm", "per client connect → welcome p99", median(runs, "reconnect_latency.p99_us"), unit=" µs")
    t.add("reconnect storm", "clients that got exactly their 50", median(runs, "caught_up_exactly"))
    t.add("reconnect storm", "server CPU during the storm (s)", median(runs, "server_cpu_seconds"))


ROWS = {"fanout": fanout_rows, "idle": idle_rows, "hibernate": hibernate_rows,
        "history": history_rows, "storm": storm_rows, "cores": cores_rows}


def report(args):
    table, conditions, files = Table(), [], []
    for scenario, rows in ROWS.items():
        matches = sorted(glob.glob(os.path.join(args.results, f"*-{scenario}.json")))
        dated = [m for m in matches if os.path.basename(m).startswith(args.date)] or matches[-1:]
        if not dated:
            continue
        with open(dated[-1]) as f:
            result = json.load(f)
        files.append(os.path.relpath(dated[-1], os.path.dirname(os.path.dirname(args.results))))
        rows(table, result["runs"])
        c = result["conditions"]
        rounds = len({r.get("round") for r in result["runs"]})
        conditions.append(f"- `{scenario}`: {rounds} round(s), load average before "
                          f"{c['load_before']}, after {c['load_after']}")
    shutdown = os.path.join(args.results, f"{args.date}-shutdown.json")
    if os.path.exists(shutdown):
        with open(shutdown) as f:
            stops = json.load(f)
        table.add("every scenario", f"roomchat stops that hung > 10 s after SIGTERM "
                  f"(of {stops['stops']})", stops["hung_after_sigterm"], target="0",
                  ok=stops["hung_after_sigterm"] == 0)
    m = machine()
    block = (f"{BEGIN}\n"
             f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}. "
             f"Raw runs: {', '.join(f'`{x}`' for x in files)}.\n\n"
             + "\n".join(conditions) + "\n\nratio = roomchat ÷ baseline (higher is better for "
             "deliveries/s, lower for everything else).\n\n" + table.render() + END)
    with open(args.doc) as f:
        doc = f.read()
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
    else:
        doc += "\n" + block + "\n"
    with open(args.doc, "w") as f:
        f.write(doc)
    print(table.render())


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    for flag in ("scenario", "input", "output", "load-before", "load-after", "rounds", "quick"):
        c.add_argument(f"--{flag}", required=True)
    r = sub.add_parser("report")
    for flag in ("results", "date", "doc"):
        r.add_argument(f"--{flag}", required=True)
    args = p.parse_args()
    collect(args) if args.cmd == "collect" else report(args)


if __name__ == "__main__":
    sys.exit(main())
