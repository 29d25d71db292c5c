#!/usr/bin/env python3
"""Side by side, on one machine, in one go: probe's ICMP echo against fping.

1. 10,000 loopback addresses (127.1.x.y), one echo each: `probe --best --method icmp
   --samples 1 --rate 0` against `fping -c1 -i0`. Target: probe's wall and CPU time no more than fping's.
2. 1,000 simulated hosts (`netsim gen 1000`), 3 samples each, inside netsim:
   `probe rank --method icmp` against `fping -C3 -i1`. Targets: probe's wall time at most a
   quarter of fping's, and its RTT error (measured minus configured, zero-jitter hosts) at
   p90 no larger than fping's.

Rounds are interleaved so machine noise hits both alike; medians are reported. Needs root
(raw ICMP on loopback, and netsim). Only loopback and the netsim namespace are ever contacted.

Usage: sudo python3 Benchmarks/compare/compare_icmp.py [--rounds 5]
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


def timed(command):
    """(wall s, cpu s, stdout, stderr) of command under /usr/bin/time."""
    wall, cpu, _, _, out, err = benchtools.timed(command)
    return wall, cpu, out, err


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    benchtools.need("fping", "fping", "compare_icmp")
    benchtools.need("/usr/bin/time", "time", "compare_icmp")
    probe = benchtools.release_probe()
    netsim = benchtools.release_netsim()
    work = tempfile.mkdtemp(prefix="probe-icmp-")

    # 1. Loopback.
    hosts = os.path.join(work, "hosts.txt")
    open(hosts, "w").write("\n".join(f"127.1.{i // 250}.{i % 250 + 1}" for i in range(10_000)) + "\n")
    loop = {"probe": [], "fping": []}
    for _ in range(args.rounds):
        loop["probe"].append(timed([probe, "--best", "--method", "icmp", "--targets", hosts, "--samples", "1", "--rate", "0", "--quiet"])[:2])
        loop["fping"].append(timed(["fping", "-c1", "-i0", "-q", "-f", hosts])[:2])
    print(f"1. ICMP echo, 10,000 loopback addresses, one each; median of {args.rounds} interleaved rounds ({os.cpu_count()} cores)")
    print(f"{'tool':<44}{'wall s':>8}{'cpu s':>8}")
    med = {}
    for name, label in (("probe", "probe --best --method icmp --samples 1 --rate 0"), ("fping", "fping -c1 -i0")):
        wall = statistics.median(r[0] for r in loop[name])
        cpu = statistics.median(r[1] for r in loop[name])
        med[name] = (wall, cpu)
        print(f"{label:<44}{wall:>8.3f}{cpu:>8.3f}")
    print(f"probe / fping: wall {med['probe'][0] / med['fping'][0]:.2f}, cpu {med['probe'][1] / med['fping'][1]:.2f}  (target <= 1)")

    # 2. Simulated network.
    world_file = os.path.join(work, "world.json")
    world = subprocess.run([netsim, "gen", "1000", "--seed", "1"], stdout=subprocess.PIPE, text=True, check=True).stdout
    open(world_file, "w").write(world)
    world = json.loads(world)
    configured = {h["address"]: h["rtt_ms"] for h in world["hosts"] if h["jitter_ms"] == 0 and h["icmp"]}
    sim_hosts = os.path.join(work, "sim.txt")
    open(sim_hosts, "w").write("\n".join(h["address"] for h in world["hosts"]) + "\n")

    def in_netsim(command):
        wall, cpu, out, err = timed([netsim, "run", world_file, "--quiet", "--", "/usr/bin/time", "-f", "INNER %e %U %S"] + command)
        inner = [line for line in err.splitlines() if line.startswith("INNER ")][-1].split()
        return float(inner[1]), float(inner[2]) + float(inner[3]), out, err

    runs = {"probe": [], "probe-rate0": [], "probe-t500": [], "fping": []}
    errors = {"probe": [], "fping": []}
    for _ in range(args.rounds):
        for name, extra in (("probe", []), ("probe-rate0", ["--rate", "0"]), ("probe-t500", ["--timeout", "500"])):
            wall, cpu, out, _ = in_netsim([probe, "rank", "--method", "icmp", "--targets", sim_hosts, "--samples", "3", "--json"] + extra)
            runs[name].append((wall, cpu))
            if name == "probe":
                for entry in json.loads(out)["ranked"]:
                    if entry["address"] in configured:
                        errors["probe"] += [s["rtt_ms"] - configured[entry["address"]] for s in entry["samples"] if s["rtt_ms"] is not None]
        wall, cpu, _, err = in_netsim(["fping", "-C3", "-i1", "-q", "-f", sim_hosts])
        runs["fping"].append((wall, cpu))
        for line in err.splitlines():
            if " : " not in line:
                continue
            host, values = line.split(" : ", 1)
            host = host.strip()
            if host in configured:
                errors["fping"] += [float(v) - configured[host] for v in values.split() if v != "-"]
    print()
    print(f"2. ICMP echo, 1,000 simulated hosts (netsim gen 1000 --seed 1), 3 samples each; median of {args.rounds} rounds")
    print(f"{'tool':<44}{'wall s':>8}{'cpu s':>8}{'err p50 ms':>12}{'err p90 ms':>12}")
    walls = {}
    for name, label in (("probe", "probe rank --method icmp --samples 3"), ("probe-rate0", "  the same with --rate 0"),
                        ("probe-t500", "  the same with --timeout 500"),
                        ("fping", "fping -C3 -i1")):
        wall = statistics.median(r[0] for r in runs[name])
        cpu = statistics.median(r[1] for r in runs[name])
        walls[name] = wall
        errs = errors.get(name, [])
        p50 = f"{percentile(errs, 0.5):>12.3f}" if errs else f"{'':>12}"
        p90 = f"{percentile(errs, 0.9):>12.3f}" if errs else f"{'':>12}"
        print(f"{label:<44}{wall:>8.3f}{cpu:>8.3f}{p50}{p90}")
    print(f"probe / fping wall: {walls['probe'] / walls['fping']:.2f} (defaults: rate 10,000/s, timeout 1,000 ms), "
          f"{walls['probe-rate0'] / walls['fping']:.2f} (--rate 0), {walls['probe-t500'] / walls['fping']:.2f} (--timeout 500)"
          f"  (target <= 0.25)")
    print(f"RTT error p90: probe {percentile(errors['probe'], 0.9):.3f} ms, fping {percentile(errors['fping'], 0.9):.3f} ms  "
          f"(target: probe <= fping)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
