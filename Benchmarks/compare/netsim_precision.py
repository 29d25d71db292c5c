#!/usr/bin/env python3
"""netsim's own precision and throughput, measured with probe as the load.

Inside a netsim world of 200 hosts (1 ms RTT, port 443 open), probe sends TCP SYNs at a fixed
rate; each is one reply from netsim (SYN-ACK) and three packets in (SYN, ACK, RST). netsim's
--stats file gives how late its replies left against their due time.

Targets (issue 3): p99 lateness <= 200 us at 5,000 packets per second, and at least 20,000
packets per second sustained. Needs root and /dev/net/tun. Traffic stays in the namespace.

Usage: sudo python3 Benchmarks/compare/netsim_precision.py [--seconds 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import benchtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    netsim = benchtools.release_netsim()
    probe = benchtools.release_probe()
    work = tempfile.mkdtemp(prefix="netsim-precision-")
    hosts = [{"address": f"198.18.{1 + i // 250}.{1 + i % 250}", "rtt_ms": 1.0, "tcp_open": [443]} for i in range(200)]
    world = os.path.join(work, "world.json")
    targets = os.path.join(work, "targets.txt")
    stats = os.path.join(work, "stats.json")
    json.dump({"hosts": hosts}, open(world, "w"))
    open(targets, "w").write("\n".join(h["address"] for h in hosts) + "\n")

    print(f"{'probe rate':>11}{'replies/s':>11}{'packets in/s':>14}{'in+out/s':>10}{'p50 us':>9}{'p99 us':>9}{'max us':>9}")
    rows = {}
    for rate in (5_000, 10_000, 20_000, 40_000):
        samples = max(1, int(rate * args.seconds / len(hosts)))
        run = subprocess.run([netsim, "run", world, "--stats", stats, "--quiet", "--", probe, "rank", "--targets", targets,
                              "--samples", str(samples), "--interval", "0", "--rate", str(rate),
                              "--max-in-flight", "512", "--timeout", "2000", "--quiet"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if run.returncode == 77:
            sys.exit("netsim_precision: " + run.stderr.strip())
        s = json.load(open(stats))
        served = s["packets_served"] / s["duration_s"]
        received = s["packets_received"] / s["duration_s"]
        rows[rate] = (served, received, s)
        print(f"{rate:>11}{served:>11.0f}{received:>14.0f}{served + received:>10.0f}"
              f"{s['lateness_p50_us']:>9.1f}{s['lateness_p99_us']:>9.1f}{s['lateness_max_us']:>9.1f}")
    served5k, received5k, s5k = rows[5_000]
    best = max(served + received for served, received, _ in rows.values())
    print()
    print(f"p99 lateness at ~5,000 replies/s: {s5k['lateness_p99_us']:.1f} us (target <= 200)  "
          f"{'ok' if s5k['lateness_p99_us'] <= 200 else 'MISSED'}")
    print(f"most packets handled per second: {best:.0f} (target >= 20,000)  {'ok' if best >= 20_000 else 'MISSED'}")


if __name__ == "__main__":
    main()
