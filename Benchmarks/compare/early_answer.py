#!/usr/bin/env python3
"""Issue 6's figure: the early answer of `probe --best` in the simulated network.

For each seed, a world of 1,000 hosts whose best is 5 ms away and the others 20-250 ms (about a
quarter with jitter, some with loss, ICMP-silent or filtered: `netsim gen --min-ms 20 --max-ms 250
--best-ms 5`). In one netsim run per seed (the same world for all three), it times, interleaved:
`probe --best` (defaults), `probe --best --rate 0`, and `probe --best --full`, and checks that the
early answers pick the same server as the full sweep.

Needs root and /dev/net/tun (netsim). Builds the release binaries (with --static-swift-stdlib when
libcurl's development files are there: it starts in ~15 ms instead of ~35 ms). Touches nothing
outside the private network namespace netsim creates.

    sudo python3 Benchmarks/compare/early_answer.py [--seeds 20] [--hosts 1000] [--dynamic]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import benchtools

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

RUNNER = r"""
import json, subprocess, sys, time
probe, targets, out = sys.argv[1], sys.argv[2], sys.argv[3]
runs = {"default": [], "rate0": [], "full": []}
order = [("default", []), ("rate0", ["--rate", "0"]), ("full", ["--full"])]
for repeat in range(int(sys.argv[4])):
    for name, extra in order:
        start = time.monotonic()
        done = subprocess.run([probe, "--best", "-q", "--no-sticky", "--targets", targets] + extra,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        wall = (time.monotonic() - start) * 1000
        runs[name].append({"wall_ms": wall, "best": done.stdout.strip(), "status": done.returncode})
json.dump(runs, open(out, "w"))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant per seed (median kept)")
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        sys.exit("early_answer.py: needs root and /dev/net/tun (netsim)")

    probe, netsim = benchtools.release_probe(), benchtools.release_netsim()

    rows = []
    with tempfile.TemporaryDirectory() as work:
        runner = os.path.join(work, "runner.py")
        open(runner, "w").write(RUNNER)
        for seed in range(1, args.seeds + 1):
            world = os.path.join(work, f"world{seed}.json")
            with open(world, "w") as handle:
                subprocess.run([netsim, "gen", str(args.hosts), "--seed", str(seed), "--min-ms", "20", "--max-ms", "250",
                                "--best-ms", "5"], check=True, stdout=handle)
            hosts = json.load(open(world))["hosts"]
            targets = os.path.join(work, f"targets{seed}.txt")
            open(targets, "w").write("".join(f"{h['address']}:443\n" for h in hosts))
            truth = min(hosts, key=lambda h: h["rtt_ms"])["address"] + ":443"
            out = os.path.join(work, f"runs{seed}.json")
            subprocess.run([netsim, "run", world, "--quiet", "--seed", str(seed), "--", sys.executable, runner, probe, targets, out,
                            str(args.repeats)], check=True)
            runs = json.load(open(out))
            row = {"seed": seed, "truth": truth}
            for name, samples in runs.items():
                row[name] = statistics.median(s["wall_ms"] for s in samples)
                row[name + "_best"] = [s["best"] for s in samples]
            rows.append(row)
            print(f"seed {seed:2}: default {row['default']:6.1f} ms  rate0 {row['rate0']:6.1f} ms  full {row['full']:7.1f} ms  "
                  f"same pick: {all(b == row['full_best'][0] for b in row['default_best'] + row['rate0_best'])}", flush=True)

    def agree(name):
        return sum(1 for r in rows if all(b == r["full_best"][0] for b in r[name + "_best"]))

    print()
    print(f"{args.hosts} hosts, best 5 ms, others 20-250 ms; {len(rows)} seeds x {args.repeats} runs; "
          "the binary scripts/build-release makes (static Swift runtime)")
    print("| run | wall ms p50 | wall ms max | same pick as the full sweep |")
    print("| --- | ---: | ---: | ---: |")
    for name, label in (("default", "`probe --best`"), ("rate0", "`probe --best --rate 0`"), ("full", "`probe --best --full`")):
        walls = [r[name] for r in rows]
        same = f"{agree(name)}/{len(rows)}" if name != "full" else "-"
        print(f"| {label} | {statistics.median(walls):.0f} | {max(walls):.0f} | {same} |")
    truth = sum(1 for r in rows if r["full_best"][0] == r["truth"])
    print(f"(the full sweep found the world's fastest host in {truth}/{len(rows)} seeds)")


if __name__ == "__main__":
    main()
