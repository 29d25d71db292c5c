#!/usr/bin/env python3
"""Issue 27's figure: one-shot runs over 10,000 servers at a real provider's distances (50-250 ms),
side by side with nmap and fping in one netsim run, interleaved.

In the simulated network (`netsim gen 10000 --min-ms 50 --max-ms 250`: some hosts closed,
filtered, ICMP-silent, lossy or jittery, as a provider's fleet), each round times:

  probe rank --method tcp --samples 1 --json      (defaults: in flight sized from --rate x hold time)
  probe rank ... --max-in-flight 256              (the old constant, for the record)
  probe --best --method tcp                       (the early answer)
  nmap -sT -T5 -Pn -n --max-retries 0 -p 443      (connect scan)
  probe rank --method icmp --samples 1 --json     (one echo each)
  fping -c1 -i1                                   (one echo each, 1 ms apart)

and, once, a slow careful sweep (--rate 500, --timeout 3000) as the reference for what answers:
every fast run must still count at least 95% of the careful sweep's reachable servers reachable
(no answers lost to the burst). Medians of the interleaved rounds; peak RSS from /usr/bin/time.

Needs root and /dev/net/tun (netsim), nmap, fping and GNU time. The probe measured is the binary
scripts/build-release makes (as scripts/install ships it). Only the simulated network's
addresses (198.18.0.0/15) are contacted, inside the namespace netsim creates.

    sudo python3 Benchmarks/compare/wide_sweep.py [--hosts 10000] [--rounds 3] [--seed 1]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import benchtools

RUNNER = r"""
import json, subprocess, sys, time
probe, targets, hosts, out, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

def timed(command):
    start = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-f", "RSSKB %M"] + command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - start
    rss = 0.0
    for line in done.stderr.splitlines():
        if line.startswith("RSSKB "):
            rss = int(line.split()[1]) / 1024
    return wall, rss, done.stdout, done.stderr, done.returncode

def probe_reachable(text):
    return sorted(e["target"] for e in json.loads(text)["ranked"] if e.get("reachable"))

def nmap_reachable(text):
    found = []
    for line in text.splitlines():
        if line.startswith("Host:") and "Ports:" in line and ("/open/" in line or "/closed/" in line):
            found.append(line.split()[1] + ":443")
    return sorted(found)

def fping_reachable(text):
    found = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 4 and parts[1] == ":" and "/1/" in line.split("=")[1]:
            found.append(parts[0])
    return sorted(found)

tcp = ["--method", "tcp", "--samples", "1", "--targets", targets, "--no-sticky"]
icmp = ["--method", "icmp", "--samples", "1", "--targets", targets, "--no-sticky"]
tools = {
    "probe rank tcp": ([probe, "rank", "--json"] + tcp, probe_reachable),
    "probe rank tcp, 256 in flight": ([probe, "rank", "--json", "--max-in-flight", "256"] + tcp, probe_reachable),
    "probe --best tcp": ([probe, "--best", "-q"] + tcp, None),
    "nmap -sT -T5": (["nmap", "-sT", "-T5", "-Pn", "-n", "--max-retries", "0", "-p", "443", "-iL", hosts, "-oG", "-"], nmap_reachable),
    "probe rank icmp": ([probe, "rank", "--json"] + icmp, probe_reachable),
    "fping -c1 -i1": (["fping", "-c1", "-i1", "-q", "-f", hosts], fping_reachable),
}
careful = {
    "tcp": timed([probe, "rank", "--json", "--rate", "500", "--timeout", "3000"] + tcp),
    "icmp": timed([probe, "rank", "--json", "--rate", "500", "--timeout", "3000"] + icmp),
}
results = {"careful": {k: probe_reachable(v[2]) for k, v in careful.items()}, "runs": {name: [] for name in tools}}
for _ in range(rounds):
    for name, (command, reachable) in tools.items():
        wall, rss, stdout, stderr, code = timed(command)
        found = reachable(stderr if name.startswith("fping") else stdout) if reachable else None
        results["runs"][name].append({"wall": wall, "rss": rss, "code": code, "reachable": found, "best": stdout.strip()[:60] if reachable is None else None})
json.dump(results, open(out, "w"))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        sys.exit("wide_sweep.py: needs root and /dev/net/tun (netsim)")
    benchtools.need("nmap", "nmap", "wide_sweep")
    benchtools.need("fping", "fping", "wide_sweep")
    benchtools.need("/usr/bin/time", "time", "wide_sweep")
    probe, netsim = benchtools.release_probe(), benchtools.release_netsim()

    with tempfile.TemporaryDirectory() as work:
        world = os.path.join(work, "world.json")
        with open(world, "w") as handle:
            subprocess.run([netsim, "gen", str(args.hosts), "--seed", str(args.seed), "--min-ms", "50", "--max-ms", "250"], check=True, stdout=handle)
        hosts = json.load(open(world))["hosts"]
        targets = os.path.join(work, "targets.txt")
        open(targets, "w").write("".join(f"{h['address']}:443\n" for h in hosts))
        host_list = os.path.join(work, "hosts.txt")
        open(host_list, "w").write("".join(f"{h['address']}\n" for h in hosts))
        runner = os.path.join(work, "runner.py")
        open(runner, "w").write(RUNNER)
        out = os.path.join(work, "out.json")
        subprocess.run([netsim, "run", world, "--quiet", "--seed", str(args.seed), "--", sys.executable, runner, probe, targets, host_list, out,
                        str(args.rounds)], check=True)
        results = json.load(open(out))

    careful = {k: set(v) for k, v in results["careful"].items()}
    print(f"{args.hosts} hosts at 50-250 ms (netsim seed {args.seed}), {args.rounds} interleaved rounds, {os.cpu_count()} cores; "
          f"the careful sweeps (--rate 500 --timeout 3000) found {len(careful['tcp'])} reachable by TCP, {len(careful['icmp'])} by ICMP")
    print("| run | wall s (median) | peak RSS MB | reachable, of the careful sweep's |")
    print("| --- | ---: | ---: | ---: |")
    walls = {}
    for name, runs in results["runs"].items():
        wall = statistics.median(r["wall"] for r in runs)
        walls[name] = wall
        rss = max(r["rss"] for r in runs)
        kind = "icmp" if ("icmp" in name or "fping" in name) else "tcp"
        shares = [len(careful[kind] & {t if kind == "tcp" or ":" not in t else t.rsplit(":", 1)[0] for t in r["reachable"]}) / max(1, len(careful[kind]))
                  for r in runs if r["reachable"] is not None]
        if kind == "icmp":
            shares = [len({t.rsplit(":", 1)[0] for t in careful[kind]} & {t.rsplit(":", 1)[0] for t in r["reachable"]}) / max(1, len(careful[kind]))
                      for r in runs if r["reachable"] is not None]
        share = f"{100 * min(shares):.1f}% (worst round)" if shares else "-"
        print(f"| `{name}` | {wall:.2f} | {rss:.1f} | {share} |")
    print()
    ratio = walls["probe rank tcp"] / walls["nmap -sT -T5"]
    print(f"probe rank tcp / nmap -sT -T5 wall: {ratio:.3f}  (target <= 0.15)  {'ok' if ratio <= 0.15 else 'MISSED'}")
    print(f"probe rank icmp / fping -c1 -i1 wall: {walls['probe rank icmp'] / walls['fping -c1 -i1']:.3f}")


if __name__ == "__main__":
    main()
