#!/usr/bin/env python3
"""How many targets one `probe serve` serves, and how well: side by side with smokeping_prober.

In the simulated network (`netsim gen N --seed 1`: real delays, known RTTs), for N = 1,000 and
10,000 hosts, `probe serve --every 30s` (defaults otherwise: auto method, 3 samples, starts spread
over half the period) runs three rounds while /metrics is read every half second:

- CPU: `process_cpu_seconds_total` over the third round (steady state), per 1,000 targets, and as
  a share of one core over the period;
- memory: `process_resident_memory_bytes` after the third round, per 1,000 targets;
- RTT error: each zero-jitter host's mean RTT from the `probe_rtt_seconds` histogram
  (`_sum / _count`, as `rate(_sum)/rate(_count)` gives it) minus its configured RTT, p50 and p90,
  beside the error of one `probe rank` run of the same hosts (the single run's figure).

With smokeping_prober installed (Debian's prometheus-smokeping-prober), it pings the same 1,000
hosts (ICMP, privileged) for the same 90 s, alone in its own netsim run, at its default 1 s interval
and at 10 s (3 pings a host per 30 s, as probe sends), and its histogram's error, CPU and memory
are printed beside probe's: side by side in one run, on one machine.

Needs root (netsim). Only the netsim namespace is contacted.

Usage: sudo python3 Benchmarks/compare/serve_capacity.py [--sizes 1000,10000] [--rounds 3]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import benchtools

PERIOD = 30


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def scrape(url):
    """{(name, labels text): value} of a Prometheus text exposition."""
    out = {}
    with urllib.request.urlopen(url, timeout=20) as response:
        for line in response.read().decode().splitlines():
            if not line or line.startswith("#"):
                continue
            key, _, value = line.rpartition(" ")
            name, _, labels = key.partition("{")
            try:
                out[(name, labels.rstrip("}"))] = float(value)
            except ValueError:
                pass
    return out


def label(labels, name):
    marker = f'{name}="'
    start = labels.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return labels[start:labels.find('"', start)]


def histogram_errors(metrics, configured, key_label):
    """Mean RTT (s -> ms) per host from _sum/_count, minus the configured RTT."""
    sums = {label(l, key_label): v for (n, l), v in metrics.items() if n.endswith("_rtt_seconds_sum") or n == "smokeping_response_duration_seconds_sum"}
    counts = {label(l, key_label): v for (n, l), v in metrics.items() if n.endswith("_rtt_seconds_count") or n == "smokeping_response_duration_seconds_count"}
    errors = []
    for host, rtt in configured.items():
        if counts.get(host):
            errors.append(sums[host] / counts[host] * 1000 - rtt)
    return errors


def inner(args):
    """Inside netsim: one prober (probe serve, or smokeping_prober at an interval), watched for
    `rounds` periods; prints one JSON line."""
    world = json.load(open(args.world))
    configured = {h["address"]: h["rtt_ms"] for h in world["hosts"] if h["jitter_ms"] == 0}
    result = {}
    if args.smokeping:
        # Its default buckets are probe's (50 µs doubling to 26 s); every host, as probe gets them.
        smokeping = subprocess.Popen([args.smokeping, "--web.listen-address=127.0.0.1:19381", "--privileged", f"--ping.interval={args.interval}"]
                                     + [h["address"] for h in world["hosts"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(PERIOD * args.rounds)
        metrics = scrape("http://127.0.0.1:19381/metrics")
        result["smokeping"] = {"seconds": PERIOD * args.rounds, "cpu_total_s": metrics.get(("process_cpu_seconds_total", ""), float("nan")),
                               "rss_mb": metrics.get(("process_resident_memory_bytes", ""), 0) / 2 ** 20,
                               "errors": histogram_errors(metrics, configured, "host")}
        smokeping.terminate()
        smokeping.wait()
        print(json.dumps(result))
        return
    serve = subprocess.Popen([args.probe, "serve", "--listen", "127.0.0.1:19380", "--every", f"{PERIOD}s", "--targets", args.targets, "--quiet"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Rounds are told apart by /healthz (cheap); /metrics (24,000 lines at 1,000 targets) is read
    # once a round, as a scraper would, so the measurement does not load what it measures.
    marks = []
    last_age = None
    started = time.monotonic()
    deadline = started + PERIOD * (args.rounds + 2)
    while time.monotonic() < deadline and len(marks) < args.rounds:
        time.sleep(0.25)
        try:
            with urllib.request.urlopen("http://127.0.0.1:19380/healthz", timeout=5) as response:
                age = float(response.read().decode().split("completed ")[1].split(" s")[0])
        except Exception:
            continue
        if last_age is None or age < last_age:
            metrics = scrape("http://127.0.0.1:19380/metrics")
            marks.append((metrics[("process_cpu_seconds_total", "")], metrics[("process_resident_memory_bytes", "")], metrics))
        last_age = age
    last = marks[-1]
    previous = marks[-2] if len(marks) > 1 else marks[-1]
    result["probe"] = {"rounds": len(marks), "cpu_round_s": last[0] - previous[0], "cpu_total_s": last[0], "rss_mb": last[1] / 2 ** 20,
                       "errors": histogram_errors(last[2], configured, "target"),
                       "round_s": last[2].get(("probe_round_duration_seconds", 'phase="probe"'), float("nan"))}
    serve.terminate()
    serve.wait()
    single = subprocess.run([args.probe, "rank", "--targets", args.targets, "--json", "--quiet", "--no-sticky"], stdout=subprocess.PIPE, text=True)
    errors = []
    for entry in json.loads(single.stdout)["ranked"]:
        if entry["address"] in configured and entry["rtt_ms"]:
            errors.append(entry["rtt_ms"]["mean"] - configured[entry["address"]])
    result["single"] = {"errors": errors}
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--inner", action="store_true")
    parser.add_argument("--probe")
    parser.add_argument("--world")
    parser.add_argument("--targets")
    parser.add_argument("--smokeping")
    parser.add_argument("--interval", default="1s")
    args = parser.parse_args()
    if args.inner:
        return inner(args)
    probe = benchtools.release_probe()
    netsim = benchtools.release_netsim()
    smokeping = shutil.which("prometheus-smokeping-prober") or shutil.which("smokeping_prober")
    work = tempfile.mkdtemp(prefix="probe-capacity-")
    print(f"probe serve --every {PERIOD}s, {args.rounds} rounds, in netsim (netsim gen N --seed 1); {os.cpu_count()} cores")
    print(f"{'':<34}{'cpu/round s':>12}{'core %':>8}{'RSS MB':>8}{'err p50':>9}{'err p90':>9}")
    for size in [int(s) for s in args.sizes.split(",")]:
        world_file = os.path.join(work, f"world-{size}.json")
        text = subprocess.run([netsim, "gen", str(size), "--seed", "1"], stdout=subprocess.PIPE, text=True, check=True).stdout
        open(world_file, "w").write(text)
        hosts = os.path.join(work, f"hosts-{size}.txt")
        open(hosts, "w").write("\n".join(h["address"] for h in json.loads(text)["hosts"]) + "\n")
        def run(extra):
            command = [netsim, "run", world_file, "--quiet", "--", sys.executable, os.path.abspath(__file__), "--inner", "--probe", probe,
                       "--world", world_file, "--targets", hosts, "--rounds", str(args.rounds)] + extra
            out = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True).stdout
            return json.loads(out.strip().splitlines()[-1])
        result = run([])
        p = result["probe"]
        per = 1000 / size
        print(f"{f'probe serve, {size:,} targets':<34}{p['cpu_round_s']:>12.2f}{p['cpu_round_s'] / PERIOD * 100:>8.1f}{p['rss_mb']:>8.1f}"
              f"{percentile(p['errors'], 0.5):>9.3f}{percentile(p['errors'], 0.9):>9.3f}")
        print(f"{'  per 1,000 targets':<34}{p['cpu_round_s'] * per:>12.3f}{p['cpu_round_s'] * per / PERIOD * 100:>8.2f}{p['rss_mb'] * per:>8.1f}")
        s = result["single"]
        print(f"{'  one probe rank run':<34}{'':>12}{'':>8}{'':>8}{percentile(s['errors'], 0.5):>9.3f}{percentile(s['errors'], 0.9):>9.3f}")
        print(f"{'  probing time of a round s':<34}{p['round_s']:>12.2f}")
        if smokeping and size <= 1000:
            # Its default (1 s: 30 pings a host per 30 s) and 10 s (3 a host, as probe sends).
            for interval in ("1s", "10s"):
                m = run(["--smokeping", smokeping, "--interval", interval])["smokeping"]
                cpu_per_30 = m["cpu_total_s"] / m["seconds"] * PERIOD
                print(f"{f'smokeping_prober -i {interval}, {size:,} hosts':<34}{cpu_per_30:>12.2f}{cpu_per_30 / PERIOD * 100:>8.1f}{m['rss_mb']:>8.1f}"
                      f"{percentile(m['errors'], 0.5):>9.3f}{percentile(m['errors'], 0.9):>9.3f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
