#!/usr/bin/env python3
"""Where the installed binaries' bytes go (issue 27): each release binary's symbols (from the
unstripped build, `nm -S`), summed by Swift module (read from the mangled name) or by the C
library they belong to, beside the stripped size scripts/install ships.

    python3 Benchmarks/compare/binary_size.py [--top 14]
"""
import argparse
import collections
import os
import re
import subprocess

import benchtools

SWIFT = re.compile(r"^\$s(?:s|(\d+)([A-Za-z_][A-Za-z0-9_]*))")

C_LIBRARIES = [
    (re.compile(r"^icudt\d+_dat$"), "ICU data (FoundationInternationalization)"),
    (re.compile(r"(_icu_?\d*|^u_|^ucol_|^ubrk_|^uloc_|^unum_|^udat_|^ures_|^utrans_|^ucal_|^ucnv_|^icu_\d+)"), "ICU code"),
    (re.compile(r"CCryptoBoringSSL|^_ZL\d+ecp_nistz|boringssl", re.I), "BoringSSL (swift-crypto)"),
    (re.compile(r"CNIOBoringSSL", re.I), "BoringSSL (swift-nio-ssl)"),
    (re.compile(r"^_ZL\d+_swift_stdlib|^swift_|^_swift_|swift::"), "Swift runtime"),
    (re.compile(r"^_CF|^CF|^__CF|^_NS|^NS"), "CoreFoundation"),
    (re.compile(r"^cprobe_|^curl_lazy|^probe_"), "probe's C targets"),
]


def owner(name):
    match = SWIFT.match(name)
    if match:
        return "Swift stdlib" if match.group(1) is None else match.group(2)[: int(match.group(1))]
    for pattern, label in C_LIBRARIES:
        if pattern.search(name):
            return label
    return "other C/C++ (libc++, dispatch, zlib, ...)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=14)
    args = parser.parse_args()
    dist = os.path.dirname(benchtools.release_probe())
    unstripped = os.path.join(benchtools.ROOT, ".build-release", "release")
    for name in ("probe", "probe-serve"):
        sizes = collections.Counter()
        out = subprocess.run(["nm", "-S", "--size-sort", os.path.join(unstripped, name)], stdout=subprocess.PIPE, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 4:
                sizes[owner(parts[3])] += int(parts[1], 16)
        installed = os.path.getsize(os.path.join(dist, name))
        print(f"{name}: {installed / 1e6:.1f} MB installed (stripped); symbols by owner:")
        print("| owner | MB |")
        print("| --- | ---: |")
        total = sum(sizes.values())
        for label, size in sizes.most_common(args.top):
            print(f"| {label} | {size / 1e6:.2f} |")
        rest = total - sum(size for _, size in sizes.most_common(args.top))
        print(f"| the rest ({len(sizes) - args.top} owners) | {rest / 1e6:.2f} |")
        print()


if __name__ == "__main__":
    main()
