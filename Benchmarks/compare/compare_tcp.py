#!/usr/bin/env python3
"""Side by side, on one machine, in one go: TCP connect to a closed port on 10,000 distinct
loopback addresses (127.1.x.y), one sample each, at the same concurrency:

  probe --best --method tcp   (the main job: every target probed, the best one printed)
  probe rank --json   (every target, full JSON report)
  nmap -sT            (connect scan, no ping, no DNS, no retries)
  asyncio             (a plain Python asyncio connect loop, asyncio_connect.py)

Rounds are interleaved so machine noise hits every tool alike; medians are reported, with
ratios to probe. Targets: probe wall <= nmap wall, probe wall <= asyncio wall / 2; the full JSON
report (`rank --json`) <= 0.9x nmap's wall time at <= 22 MB peak RSS (the worst round). probe is the binary
scripts/build-release makes (static Swift runtime), as installed. Only loopback addresses are
ever contacted.

Usage: python3 Benchmarks/compare/compare_tcp.py [--rounds 5] [--count 10000] [--concurrency 256]
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 9  # discard: nothing listens on it on 127.1.0.0/16 (checked below)


def timed(command):
    """(wall s, cpu s, peak RSS MB, stdout); exits when the tool fails."""
    wall, cpu, rss, code, out, err = benchtools.timed(command)
    if code not in (0, 2):
        sys.exit(f"compare_tcp: {command[0]} failed ({code}): {err.strip()}")
    return wall, cpu, rss, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=256)
    args = parser.parse_args()
    benchtools.need("nmap", "nmap", "compare_tcp")
    benchtools.need("/usr/bin/time", "time", "compare_tcp")

    probe = benchtools.release_probe()

    listening = subprocess.run(["ss", "-ltnH"], stdout=subprocess.PIPE, text=True).stdout
    if any(line.split()[3].endswith(f":{PORT}") for line in listening.splitlines() if len(line.split()) > 3):
        sys.exit(f"compare_tcp: something listens on port {PORT}; the closed-port comparison needs it free")

    work = tempfile.mkdtemp(prefix="probe-compare-")
    hosts = [f"127.1.{i // 250}.{i % 250 + 1}" for i in range(args.count)]
    hosts_file = os.path.join(work, "hosts.txt")
    targets_file = os.path.join(work, "targets.txt")
    with open(hosts_file, "w") as f:
        f.write("\n".join(hosts) + "\n")
    with open(targets_file, "w") as f:
        f.write("\n".join(f"{h}:{PORT}" for h in hosts) + "\n")

    c = str(args.concurrency)
    tools = {
        "probe --best": [probe, "--best", "--method", "tcp", "--targets", targets_file, "--samples", "1", "--rate", "0",
                         "--max-in-flight", c, "--quiet"],
        "probe rank --json": [probe, "rank", "--method", "tcp", "--targets", targets_file, "--samples", "1", "--rate", "0",
                              "--max-in-flight", c, "--json"],
        "nmap -sT": ["nmap", "-sT", "-Pn", "-n", "-p", str(PORT), "--max-retries", "0",
                     "--min-parallelism", c, "--max-parallelism", c, "-iL", hosts_file, "-oG", "-"],
        "asyncio": [sys.executable, os.path.join(HERE, "asyncio_connect.py"), targets_file, c],
    }
    checks = {
        "probe --best": lambda out: out.strip().startswith("127.1."),
        "probe rank --json": lambda out: sum(e["state"] == "refused" for e in json.loads(out)["ranked"]) == args.count,
        "nmap -sT": lambda out: out.count(f"{PORT}/closed/tcp") == args.count,
        "asyncio": lambda out: f"'refused': {args.count}" in out,
    }
    results = {name: [] for name in tools}
    for round_index in range(args.rounds):
        for name, command in tools.items():
            wall, cpu, rss, out = timed(command)
            if not checks[name](out):
                sys.exit(f"compare_tcp: {name} did not measure all {args.count} targets as closed")
            results[name].append((wall, cpu, rss))
    shutil.rmtree(work, ignore_errors=True)

    print(f"TCP connect, closed port, {args.count} loopback addresses, 1 sample, concurrency {c}, "
          f"median of {args.rounds} interleaved rounds ({os.cpu_count()} cores)")
    print(f"{'tool':<20}{'wall s':>9}{'cpu s':>9}{'peak RSS MB':>13}{'wall / probe':>14}")
    base = statistics.median(w for w, _, _ in results["probe --best"])
    medians = {}
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        rss = max(r[2] for r in rows)
        medians[name] = (wall, cpu, rss)
        print(f"{name:<20}{wall:>9.3f}{cpu:>9.3f}{rss:>13.1f}{wall / base:>13.2f}x")
    p_wall, _, p_rss = medians["probe --best"]
    j_wall, _, j_rss = medians["probe rank --json"]
    n_wall = medians["nmap -sT"][0]
    a_wall = medians["asyncio"][0]
    print()
    print(f"nmap / probe wall:    {n_wall / p_wall:.2f}  (target >= 1)   {'ok' if p_wall <= n_wall else 'MISSED'}")
    print(f"asyncio / probe wall: {a_wall / p_wall:.2f}  (target >= 2)   {'ok' if 2 * p_wall <= a_wall else 'MISSED'}")
    print(f"probe rank --json / nmap wall: {j_wall / n_wall:.2f}  (target <= 0.9)  {'ok' if j_wall <= 0.9 * n_wall else 'MISSED'}")
    n_rss = medians["nmap -sT"][2]
    print(f"probe rank --json peak RSS: {j_rss:.1f} MB, nmap {n_rss:.1f} MB  (target <= 22)  {'ok' if j_rss <= 22 else 'MISSED'}")
    print(f"probe --best peak RSS: {p_rss:.1f} MB  (target < 50)  {'ok' if p_rss < 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
