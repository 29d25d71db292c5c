#!/usr/bin/env python3
"""What users hold, at scale (issue 25): 10,000 entries from one subscription and from one zip of
wg-quick files, read by `probe servers --json --from SOURCE` (parsing only: nothing is probed),
beside the same with 10 entries, with the binary users run. Target: under 1 s and under 50 MB on
top of the small run. Run: python3 Benchmarks/compare/bundle_scale.py [--probe PATH] [--rounds N]."""
import argparse
import base64
import os
import statistics
import tempfile
import zipfile

from benchtools import release_probe, timed

KEY = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PEER = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
UUID = "b831381d-6324-4d53-ad4f-8cda48b30811"


def address(i):
    # Documentation and benchmark ranges only: nothing is probed, but no real address is written either.
    return f"198.18.{(i // 250) % 256}.{i % 250 + 1}"


def subscription(path, count):
    links = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            links.append(f"vless://{UUID}@{address(i)}:443?security=tls&sni=n{i}.example&type=ws&path=%2Fws#%F0%9F%87%A9%F0%9F%87%AA%20node-{i}")
        elif kind == 1:
            links.append(f"trojan://pw{i}@{address(i)}:443?security=tls&sni=n{i}.example#node-{i}")
        else:
            user = base64.urlsafe_b64encode(f"aes-128-gcm:pw{i}".encode()).decode().rstrip("=")
            links.append(f"ss://{user}@{address(i)}:8388#node-{i}")
    with open(path, "w") as out:
        out.write(base64.b64encode("\n".join(links).encode()).decode())


def wireguard_zip(path, count):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            archive.writestr(f"wg/se-got-wg-{i:05d}.conf",
                             f"[Interface]\nPrivateKey = {KEY}\nAddress = 198.19.{i // 250}.{i % 250 + 1}/32\nDNS = 198.19.0.1\n\n"
                             f"[Peer]\nPublicKey = {PEER}\nAllowedIPs = 0.0.0.0/0\nEndpoint = {address(i)}:51820\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", help="the probe binary (default: scripts/build-release's)")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    probe = arguments.probe or release_probe()
    with tempfile.TemporaryDirectory() as directory:
        sources = {}
        for count in (10, 10_000):
            sources[("subscription", count)] = os.path.join(directory, f"sub-{count}.txt")
            subscription(sources[("subscription", count)], count)
            sources[("zip", count)] = os.path.join(directory, f"wg-{count}.zip")
            wireguard_zip(sources[("zip", count)], count)
        for kind in ("subscription", "zip"):
            figures = {}
            for count in (10, 10_000):
                walls, rss = [], []
                for _ in range(arguments.rounds):
                    wall, _, peak, status, stdout, stderr = timed([probe, "servers", "--json", "--from", sources[(kind, count)]])
                    assert status == 0, stderr
                    assert stdout.count('"provider"') == count, (kind, count, stdout.count('"provider"'))
                    walls.append(wall)
                    rss.append(peak)
                figures[count] = (statistics.median(walls), statistics.median(rss))
            (small_wall, small_rss), (large_wall, large_rss) = figures[10], figures[10_000]
            print(f"{kind}: 10,000 entries {large_wall:.2f} s, {large_rss:.1f} MB; 10 entries {small_wall:.2f} s, {small_rss:.1f} MB; "
                  f"on top: +{large_wall - small_wall:.2f} s, +{large_rss - small_rss:.1f} MB (target < 1 s, < 50 MB)")


if __name__ == "__main__":
    main()
