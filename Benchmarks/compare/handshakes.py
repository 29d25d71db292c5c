#!/usr/bin/env python3
"""Handshake probes at scale (issue 26): 1,000 WireGuard handshakes against a real wireguard-go
server (20 registered peers, 50 samples each: 200 peers at once put wireguard-go "under load", answering with cookie replies) in a network namespace this script creates, beside
1,000 ICMP echoes to the same host in the same run, with the binary users run. Reports the CPU
each probe costs, the handshake's RTT beside the echo's (the difference is the server's own
turnaround: its X25519s), and the RTT error through a relay that holds each initiation 20 ms
(truth: the direct handshake plus what the relay logged it really held, from kernel timestamps).
Needs root, wireguard-go, wg, ip and Python's cryptography. Traffic stays inside the namespaces
(198.18.200.0/24 on a veth pair, the relay on the probe side's loopback).
Run: sudo python3 Benchmarks/compare/handshakes.py [--probe PATH] [--rounds N]."""
import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat, NoEncryption

from benchtools import release_probe, timed

PEERS = 20
SAMPLES = 50
CLIENT, SERVER, DEVICE = "pcbench", "psbench", "wgbench0"
RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "ProbeCLITests", "HandshakeServerTests.swift")


def keypair():
    key = X25519PrivateKey.generate()
    private = base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()
    public = base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    return private, public


def sh(*command, check=True):
    return subprocess.run(list(command), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def relay_script():
    """The tests' relay (HandshakeServerTests.swift), taken from there so both hold the same way."""
    text = open(RELAY).read()
    start = text.index("import heapq, select, socket, struct")
    body = text[start:text.index("        PY\n", start)]
    lines = [line[8:] if line.startswith("        ") else line for line in body.split("\n")]
    return "\n".join(lines).replace("\\(relayPort)", "51821").replace("\\\\n", "\\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", help="probe binary (default: scripts/build-release's)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for tool in ["ip", "wg", "wireguard-go"]:
        if not shutil.which(tool):
            raise SystemExit(f"handshakes.py: {tool} is not installed")
    probe = args.probe or release_probe()
    work = tempfile.mkdtemp(prefix="probe-handshake-bench-")
    os.chmod(work, 0o700)
    processes = []
    try:
        for ns in [CLIENT, SERVER]:
            sh("ip", "netns", "del", ns, check=False)
            sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", "vcbench", "type", "veth", "peer", "name", "vsbench")
        sh("ip", "link", "set", "vcbench", "netns", CLIENT)
        sh("ip", "link", "set", "vsbench", "netns", SERVER)
        sh("ip", "-n", CLIENT, "addr", "add", "198.18.200.1/24", "dev", "vcbench")
        sh("ip", "-n", SERVER, "addr", "add", "198.18.200.2/24", "dev", "vsbench")
        for ns, dev in [(CLIENT, "vcbench"), (SERVER, "vsbench")]:
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        processes.append(subprocess.Popen(["ip", "netns", "exec", SERVER, "wireguard-go", "-f", DEVICE],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(50):
            if os.path.exists(f"/var/run/wireguard/{DEVICE}.sock"):
                break
            time.sleep(0.1)
        server_private, server_public = keypair()
        clients = [keypair() for _ in range(PEERS)]
        conf = f"[Interface]\nPrivateKey = {server_private}\nListenPort = 51820\n"
        for index, (_, public) in enumerate(clients):
            conf += f"\n[Peer]\nPublicKey = {public}\nAllowedIPs = 198.19.{index // 250}.{index % 250 + 1}/32\n"
        with open(os.path.join(work, "server.conf"), "w") as out:
            out.write(conf)
        sh("ip", "netns", "exec", SERVER, "wg", "setconf", DEVICE, os.path.join(work, "server.conf"))
        sh("ip", "-n", SERVER, "link", "set", DEVICE, "up")
        for folder, endpoint in [("direct", "198.18.200.2:51820"), ("relayed", "127.0.0.1:51821")]:
            os.makedirs(os.path.join(work, folder), mode=0o700)
            for index, (private, _) in enumerate(clients):
                with open(os.path.join(work, folder, f"peer{index:03d}.conf"), "w") as out:
                    out.write(f"[Interface]\nPrivateKey = {private}\nAddress = 198.19.250.1/32\n\n[Peer]\nPublicKey = {server_public}\n"
                              f"AllowedIPs = 0.0.0.0/0\nEndpoint = {endpoint}\n")
        with open(os.path.join(work, "relay.py"), "w") as out:
            out.write(relay_script())
        processes.append(subprocess.Popen(["ip", "netns", "exec", CLIENT, "python3", "relay.py"], cwd=work,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(100):  # the server's port and the relay's, before the first run
            server = sh("ip", "netns", "exec", SERVER, "ss", "-lun").stdout
            relay = sh("ip", "netns", "exec", CLIENT, "ss", "-lun").stdout
            if ":51820 " in server and ":51821 " in relay:
                break
            time.sleep(0.1)

        def run(folder, method):
            command = ["ip", "netns", "exec", CLIENT, probe, "rank", "--from", os.path.join(work, folder), "--method", method,
                       "--samples", str(SAMPLES), "--json", "--no-sticky"]
            wall, cpu, rss, code, out, err = timed(command)
            if code != 0:
                raise SystemExit(f"probe {method} {folder} failed ({code}): {err} {out[:600]}")
            entries = json.loads(out)["ranked"]
            received = sum(entry["received"] for entry in entries)
            cookies = sum(sample["outcome"] == "cookie" for entry in entries for sample in entry["samples"])
            if cookies:
                print(f"  {method} {folder}: {cookies} of the answers were cookie replies (the server under load)")
            medians = [entry["rtt_ms"]["median"] for entry in entries if entry.get("rtt_ms")]
            rtts = [sample["rtt_ms"] for entry in entries for sample in entry["samples"] if sample.get("rtt_ms") is not None]
            return wall, cpu, rss, received, medians, rtts

        figures = {"wireguard": [], "icmp": [], "relayed": []}
        for _ in range(args.rounds):
            open(os.path.join(work, "relay-holds.log"), "w").close()
            figures["wireguard"].append(run("direct", "wireguard"))
            figures["icmp"].append(run("direct", "icmp"))
            relayed = run("relayed", "wireguard")
            holds = open(os.path.join(work, "relay-holds.log")).read().split("\n")
            forward = statistics.median(float(line[2:]) for line in holds if line.startswith("f "))
            back = statistics.median(float(line[2:]) for line in holds if line.startswith("r "))
            truth = [float(line[2:]) for line in holds if line.startswith("t ")]
            figures["relayed"].append(relayed + (forward + back, truth))

        def summary(name, unit):
            rows = figures[name]
            cpu = statistics.median(row[1] for row in rows) / (PEERS * SAMPLES) * 1e6
            wall = statistics.median(row[0] for row in rows)
            answered = statistics.median(row[3] for row in rows)
            rtt = statistics.median(statistics.median(row[4]) for row in rows)
            print(f"{name:10s} {PEERS * SAMPLES} {unit}: {answered:.0f} answered, wall {wall:.2f} s, CPU {cpu:.0f} µs per probe, "
                  f"median RTT {rtt:.3f} ms, peak RSS {statistics.median(row[2] for row in rows):.1f} MB")
            return cpu, rtt

        handshake_cpu, handshake_rtt = summary("wireguard", "handshakes")
        echo_cpu, echo_rtt = summary("icmp", "echoes")
        summary("relayed", "handshakes through the 20 ms relay")
        errors = []
        measured, truth = [], []
        for relayed in figures["relayed"]:
            measured += relayed[5]
            truth += relayed[7]
        measured.sort()
        truth.sort()
        def quantile(values, q):
            return values[min(len(values) - 1, int(len(values) * q))]
        print(f"handshake/echo: CPU {handshake_cpu / echo_cpu:.2f}x, RTT +{handshake_rtt - echo_rtt:.3f} ms (the server's turnaround)")
        print(f"through the 20 ms relay, {len(measured)} handshakes: probe median {quantile(measured, 0.5):.3f} ms, p90 {quantile(measured, 0.9):.3f} ms; "
              f"what the relay saw (initiation in to response out, kernel timestamps): median {quantile(truth, 0.5):.3f} ms, "
              f"p90 {quantile(truth, 0.9):.3f} ms; error median {quantile(measured, 0.5) - quantile(truth, 0.5):+.3f} ms, "
              f"p90 {quantile(measured, 0.9) - quantile(truth, 0.9):+.3f} ms")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
        for ns in [CLIENT, SERVER]:
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
