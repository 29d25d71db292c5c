#!/usr/bin/env python3
"""The early answer with host names, side by side with numeric addresses, on the binary users run.

1,000 simulated hosts (`netsim gen 1000 --min-ms 20 --max-ms 250 --best-ms 5`, the world of
early_answer.py), each also listed under a name that the
simulated network's name server answers after 20 ms (netsim points the namespace's resolv.conf
at it). `probe --best` runs on the numeric list and on the names, with `--rate 0` and with the
defaults, interleaved in one simulated network; wall times are medians. Targets: names within
30 ms of numbers; wall <= 80 ms with --rate 0 and <= 150 ms with the defaults.

Also: process start (`probe --help` wall time, hyperfine), target <= 15 ms.

Needs root and /dev/net/tun (netsim). Only the netsim namespace is contacted.

Usage: sudo python3 Benchmarks/compare/compare_dns.py [--rounds 7]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import benchtools

RUNNER = r'''
import json, subprocess, sys, time
probe, numeric, named, rounds, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
runs = {}
for _ in range(rounds):
    for label, targets in (("numeric", numeric), ("names", named)):
        for pacing, extra in (("rate 0", ["--rate", "0"]), ("defaults", [])):
            start = time.monotonic()
            done = subprocess.run([probe, "--best", "--no-sticky", "--targets", targets, "--json"] + extra,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            wall = (time.monotonic() - start) * 1000
            report = json.loads(done.stdout)
            runs.setdefault(f"{label}, {pacing}", []).append(
                {"wall": wall, "best": report["best"]["address"], "errors": len(report["errors"])})
json.dump(runs, open(out, "w"))
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        sys.exit("compare_dns.py: needs root and /dev/net/tun (netsim)")
    probe, netsim = benchtools.release_probe(), benchtools.release_netsim()

    with tempfile.TemporaryDirectory() as work:
        world_path = os.path.join(work, "world.json")
        with open(world_path, "w") as handle:
            subprocess.run([netsim, "gen", "1000", "--seed", "11", "--min-ms", "20", "--max-ms", "250", "--best-ms", "5"],
                           check=True, stdout=handle)
        world = json.load(open(world_path))
        world["names"] = [{"name": f"h{i}.sim.test", "addresses": [h["address"]], "delay_ms": 20} for i, h in enumerate(world["hosts"])]
        json.dump(world, open(world_path, "w"))
        numeric, named = os.path.join(work, "numeric.txt"), os.path.join(work, "names.txt")
        open(numeric, "w").write("".join(f"{h['address']}:443\n" for h in world["hosts"]))
        open(named, "w").write("".join(f"h{i}.sim.test:443\n" for i in range(len(world["hosts"]))))
        truth = min(world["hosts"], key=lambda h: h["rtt_ms"])["address"]
        runner, out = os.path.join(work, "runner.py"), os.path.join(work, "runs.json")
        open(runner, "w").write(RUNNER)
        subprocess.run([netsim, "run", world_path, "--quiet", "--", sys.executable, runner, probe, numeric, named,
                        str(args.rounds), out], check=True)
        runs = json.load(open(out))

    print(f"probe --best over 1,000 simulated hosts (best 5 ms), {args.rounds} interleaved rounds, medians:")
    medians = {}
    for label, rows in runs.items():
        medians[label] = statistics.median(r["wall"] for r in rows)
        right = sum(r["best"] == truth for r in rows)
        errors = max(r["errors"] for r in rows)
        print(f"  {label:20s} {medians[label]:6.1f} ms wall   right pick {right}/{len(rows)}   errors {errors}")
    for pacing in ("rate 0", "defaults"):
        gap = medians[f"names, {pacing}"] - medians[f"numeric, {pacing}"]
        print(f"  names cost {gap:+.1f} ms over numbers with {pacing} (target <= 30 ms)")

    if shutil.which("hyperfine"):
        result = os.path.join(tempfile.gettempdir(), "probe-start.json")
        subprocess.run(["hyperfine", "-N", "--warmup", "5", "--runs", "50", "--export-json", result, f"{probe} --help"],
                       check=True, stdout=subprocess.DEVNULL)
        start = json.load(open(result))["results"][0]
        print(f"process start: probe --help {start['median'] * 1000:.1f} ms median (target <= 15 ms)")


if __name__ == "__main__":
    main()
