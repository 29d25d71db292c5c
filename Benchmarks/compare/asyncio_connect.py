#!/usr/bin/env python3
"""A plain asyncio TCP-connect loop, the baseline for compare_tcp.py.

Connects once to every target in FILE (host:port per line) with at most N connects in
flight, a 1 s timeout each, and prints how many were open, refused or timed out.
Loopback targets only: compare_tcp.py generates 127.1.x.y addresses.
"""
import asyncio
import sys


async def probe(host, port, gate, counts):
    async with gate:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1.0)
            writer.close()
            counts["open"] += 1
        except ConnectionRefusedError:
            counts["refused"] += 1
        except asyncio.TimeoutError:
            counts["timeout"] += 1
        except OSError:
            counts["error"] += 1


async def main(path, concurrency):
    targets = []
    for line in open(path):
        host, _, port = line.strip().rpartition(":")
        targets.append((host, int(port)))
    gate = asyncio.Semaphore(concurrency)
    counts = {"open": 0, "refused": 0, "timeout": 0, "error": 0}
    await asyncio.gather(*(probe(h, p, gate, counts) for h, p in targets))
    print(counts)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
